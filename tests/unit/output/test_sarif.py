"""SARIF 2.1.0: schema-valid, GitHub's severity conventions, suppressions and coverage."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import jsonschema
import pytest

from secloop.core.finding import BaselineState, Suppression, SuppressionKind
from secloop.core.location import KubernetesResource, Location
from secloop.core.package import Package
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.output.interface import ReportContext
from secloop.output.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY, SarifFormatter
from tests.conftest import corpus_path
from tests.unit.output.conftest import make_finding, make_result

_EXPECTED_LEVELS = {
    Severity.CRITICAL: ("error", "9.5"),
    Severity.HIGH: ("error", "8.0"),
    Severity.MEDIUM: ("warning", "5.5"),
    Severity.LOW: ("note", "2.0"),
    Severity.UNKNOWN: ("note", "0.0"),
}


def _log(result: ScanResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(SarifFormatter().render(result, ReportContext()))
    return log


def _run(result: ScanResult) -> dict[str, Any]:
    run: dict[str, Any] = _log(result)["runs"][0]
    return run


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    path = corpus_path("sarif", "sarif-spec", "sarif-2.1", "schema", "sarif-schema-2.1.0.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sample_validates_against_the_schema(
    sample: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    errors = [error.message for error in validator.iter_errors(_log(sample))]
    assert errors == []


def test_empty_result_validates(
    empty: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    log = _log(empty)
    assert list(validator.iter_errors(log)) == []
    assert log["runs"][0]["results"] == []


@pytest.mark.parametrize("severity", list(Severity))
def test_level_and_security_severity(severity: Severity) -> None:
    run = _run(make_result(make_finding(severity=severity)))
    level, score = _EXPECTED_LEVELS[severity]
    assert run["results"][0]["level"] == level
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["defaultConfiguration"]["level"] == level
    assert rule["properties"]["security-severity"] == score == SECURITY_SEVERITY[severity]
    assert "security" in rule["properties"]["tags"]


def test_catalogue_rule_carries_peers_and_frameworks(sample: ScanResult) -> None:
    rules = {rule["id"]: rule for rule in _run(sample)["tool"]["driver"]["rules"]}
    privileged = rules["SL-K8S-001"]
    assert privileged["properties"]["peers"] == {
        "checkov": "CKV_K8S_16",
        "kubescape": "C-0057",
        "pss": "baseline:privileged",
        "trivy": "KSV017",
    }
    assert privileged["properties"]["frameworks"]["cis-kubernetes"] == ["5.2.1"]
    assert privileged["helpUri"] == "https://secloop.dev/rules/SL-K8S-001"
    assert "Remediation" in privileged["help"]["markdown"]


def test_rule_index_points_at_the_rule(sample: ScanResult) -> None:
    run = _run(sample)
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == len({finding.rule_id for finding in sample.findings})
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_suppressions_and_baseline_state() -> None:
    inline = make_finding(
        suppression=Suppression(
            kind=SuppressionKind.INLINE, reason="reviewed", source="app/config.yaml:2"
        )
    )
    external = make_finding(
        rule_id="T-002",
        suppression=Suppression(
            kind=SuppressionKind.EXTERNAL,
            reason="risk accepted",
            source=".secloopignore.yaml#4",
            expires=date(2025, 12, 31),
        ),
        baseline_state=BaselineState.UNCHANGED,
    )
    first, second = _run(make_result(inline, external))["results"]
    assert first["suppressions"][0]["kind"] == "inSource"
    assert first["suppressions"][0]["justification"] == "reviewed"
    assert first["suppressions"][0]["status"] == "accepted"
    region = first["suppressions"][0]["location"]["physicalLocation"]["region"]
    assert region == {"startLine": 2}
    assert "baselineState" not in first
    assert second["suppressions"][0]["kind"] == "external"
    assert "location" not in second["suppressions"][0]
    assert second["suppressions"][0]["properties"]["expires"] == "2025-12-31"
    assert second["baselineState"] == "unchanged"


def test_physical_location_region_and_fingerprint() -> None:
    finding = make_finding(
        location=Location(
            path="src/a b:c.py", start_line=4, end_line=6, start_column=2, end_column=9
        )
    )
    result = _run(make_result(finding))["results"][0]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/a%20b%3Ac.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 4, "endLine": 6, "startColumn": 2, "endColumn": 9}
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}


def test_logical_locations_for_resource_and_package() -> None:
    resource = KubernetesResource(api_version="v1", kind="Pod", name="p", namespace="ns")
    package = Package.create(name="left-pad", version="1.3.0", ecosystem="npm")
    results = _run(
        make_result(
            make_finding(location=Location(resource=resource)),
            make_finding(rule_id="T-002", location=Location(), package=package),
        )
    )["results"]
    assert results[0]["locations"] == [
        {"logicalLocations": [{"name": "p", "fullyQualifiedName": "Pod/ns/p", "kind": "resource"}]}
    ]
    logical = results[1]["locations"][0]["logicalLocations"][0]
    assert logical["fullyQualifiedName"] == "pkg:npm/left-pad@1.3.0"
    assert results[1]["properties"]["purl"] == "pkg:npm/left-pad@1.3.0"


def test_vulnerability_properties(sample: ScanResult) -> None:
    results = _run(sample)["results"]
    urllib3 = next(r for r in results if r["ruleId"] == "GHSA-v845-jxx5-vc9f")
    properties = urllib3["properties"]
    assert properties["vulnerabilityIds"] == ["GHSA-v845-jxx5-vc9f", "CVE-2023-43804"]
    assert properties["fixedVersions"] == ["1.26.17", "2.0.6"]
    assert properties["purl"] == "pkg:pypi/urllib3@1.26.16"
    assert properties["layer"]["index"] == 2


def test_coverage_travels_as_notifications(sample: ScanResult) -> None:
    run = _run(sample)
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] == "2025-01-15T09:30:00.000Z"
    assert invocation["endTimeUtc"] == "2025-01-15T09:30:12.500Z"
    levels = [n["level"] for n in invocation["toolExecutionNotifications"]]
    assert levels.count("error") == len(sample.failed)
    assert levels.count("note") == len(sample.skipped)
    first = invocation["toolExecutionNotifications"][0]
    assert (
        first["message"]["text"] == "deploy/k8s/broken.yaml: YAML error at line 4: bad indentation"
    )
    warnings = [n["message"]["text"] for n in invocation["toolConfigurationNotifications"]]
    assert warnings == list(sample.warnings)
    coverage = run["properties"]["coverage"]
    assert (coverage["scanned"], coverage["skipped"], coverage["failed"]) == (7, 8, 2)
    assert coverage["skippedByReason"]["too_large"] == 1


def test_srcroot_is_described_without_a_machine_path(sample: ScanResult) -> None:
    base = _run(sample)["originalUriBaseIds"]["%SRCROOT%"]
    assert "uri" not in base
    assert "examples/webapp" in base["description"]["text"]


def test_output_is_deterministic(sample: ScanResult) -> None:
    formatter = SarifFormatter()
    assert formatter.render(sample, ReportContext()) == formatter.render(sample, ReportContext())
