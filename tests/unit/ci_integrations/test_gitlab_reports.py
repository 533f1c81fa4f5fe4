"""GitLab security reports (schema v15) and Code Quality: the fields GitLab requires.

The required fields are encoded here from GitLab's security-report-schemas v15 (not
copied): top level ``version``/``scan``/``vulnerabilities``; ``scan`` with analyzer and
scanner (id, name, vendor.name, version), type, status, start and end times in
``YYYY-MM-DDTHH:MM:SS``; each vulnerability with ``id``, ``identifiers`` (type, name,
value; at least one) and a ``location`` whose shape depends on the report type.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from secloop.core.finding import FindingKind, Suppression, SuppressionKind, VulnerabilityDetail
from secloop.core.location import Location
from secloop.core.package import Package
from secloop.core.result import OperatingSystem, ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.codequality import CODE_QUALITY_SEVERITIES
from secloop.output.gitlab import SEVERITY_NAMES
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.registry import formatter_for
from tests.unit.output.conftest import make_finding, make_result

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
GITLAB = {
    OutputFormat.GITLAB_SAST: "sast",
    OutputFormat.GITLAB_SECRET_DETECTION: "secret_detection",
    OutputFormat.GITLAB_DEPENDENCY_SCANNING: "dependency_scanning",
    OutputFormat.GITLAB_CONTAINER_SCANNING: "container_scanning",
}
PACKAGE = Package.create(name="requests", version="2.0.0", ecosystem="PyPI")
VULN = make_finding(
    kind=FindingKind.VULNERABILITY,
    rule_id="GHSA-xxxx",
    location=Location(path="requirements.txt"),
    package=PACKAGE,
    vulnerability=VulnerabilityDetail(
        advisory_id="GHSA-xxxx", aliases=("CVE-2024-1",), installed_version="2.0.0"
    ),
)


def mixed() -> ScanResult:
    return make_result(
        make_finding(kind=FindingKind.CODE, rule_id="PY-CMDI-001", frameworks={"cwe": ("CWE-78",)}),
        make_finding(kind=FindingKind.MISCONFIGURATION),
        make_finding(kind=FindingKind.SECRET, rule_id="SECRET-X", fingerprint="1" * 32 + ":1"),
        make_finding(
            kind=FindingKind.SECRET,
            rule_id="SECRET-Y",
            suppression=Suppression(kind=SuppressionKind.INLINE, reason="test", source="a:1"),
        ),
        VULN,
    )


def render(fmt: OutputFormat, result: ScanResult) -> Any:
    return json.loads(formatter_for(fmt).render(result, ReportContext()))


def check_envelope(document: dict[str, Any], report_type: str) -> None:
    assert re.match(r"^15\.\d+\.\d+$", document["version"])
    scan = document["scan"]
    for part in ("analyzer", "scanner"):
        assert {"id", "name", "version"} <= scan[part].keys()
        assert scan[part]["vendor"]["name"]
    assert scan["type"] == report_type
    assert scan["status"] in ("success", "failure")
    assert TIME.match(scan["start_time"])
    assert TIME.match(scan["end_time"])
    for vulnerability in document["vulnerabilities"]:
        assert vulnerability["id"]
        assert vulnerability["severity"] in {"Info", "Unknown", "Low", "Medium", "High", "Critical"}
        assert vulnerability["identifiers"]
        for identifier in vulnerability["identifiers"]:
            assert {"type", "name", "value"} <= identifier.keys()
            assert all(isinstance(identifier[k], str) and identifier[k] for k in ("type", "name"))


@pytest.mark.parametrize("fmt", list(GITLAB))
def test_envelope_of_every_gitlab_report(fmt: OutputFormat) -> None:
    check_envelope(render(fmt, mixed()), GITLAB[fmt])
    check_envelope(render(fmt, make_result()), GITLAB[fmt])


def test_sast_takes_code_and_misconfig_with_file_locations() -> None:
    document = render(OutputFormat.GITLAB_SAST, mixed())
    vulns = document["vulnerabilities"]
    assert [v["identifiers"][0]["value"] for v in vulns] == ["PY-CMDI-001", "T-001"]
    assert vulns[0]["location"] == {"file": "app/config.yaml", "start_line": 3, "end_line": 3}
    assert {"type": "cwe", "name": "CWE-78", "value": "78"}.items() <= vulns[0]["identifiers"][
        1
    ].items()
    assert len({v["id"] for v in vulns}) == 2


def test_secret_detection_leaves_out_suppressed_and_names_a_commit() -> None:
    vulns = render(OutputFormat.GITLAB_SECRET_DETECTION, mixed())["vulnerabilities"]
    assert [v["identifiers"][0]["value"] for v in vulns] == ["SECRET-X"]
    assert vulns[0]["location"]["file"] == "app/config.yaml"
    assert vulns[0]["location"]["commit"]["sha"]


def test_dependency_scanning_location_and_identifiers() -> None:
    (vuln,) = render(OutputFormat.GITLAB_DEPENDENCY_SCANNING, mixed())["vulnerabilities"]
    assert vuln["location"] == {
        "file": "requirements.txt",
        "dependency": {"package": {"name": "requests"}, "version": "2.0.0"},
    }
    assert {i["type"] for i in vuln["identifiers"]} >= {"ghsa", "cve"}
    assert render(OutputFormat.GITLAB_CONTAINER_SCANNING, mixed())["vulnerabilities"] == []


def test_container_scanning_for_images() -> None:
    image = replace(
        make_result(VULN),
        target=Target(TargetKind.REGISTRY_IMAGE, "registry.example.com/app:1"),
        operating_system=OperatingSystem(family="debian", name="Debian", version="12"),
    )
    (vuln,) = render(OutputFormat.GITLAB_CONTAINER_SCANNING, image)["vulnerabilities"]
    location = vuln["location"]
    assert location["image"] == "registry.example.com/app:1"
    assert location["operating_system"] == "debian 12"
    assert location["dependency"]["package"]["name"] == "requests"
    assert render(OutputFormat.GITLAB_DEPENDENCY_SCANNING, image)["vulnerabilities"] == []


def test_ids_are_stable_uuids() -> None:
    first = render(OutputFormat.GITLAB_SAST, mixed())["vulnerabilities"]
    again = render(OutputFormat.GITLAB_SAST, mixed())["vulnerabilities"]
    assert [v["id"] for v in first] == [v["id"] for v in again]
    assert all(re.match(r"^[0-9a-f-]{36}$", v["id"]) for v in first)


@pytest.mark.parametrize("severity", list(Severity))
def test_every_severity_maps(severity: Severity) -> None:
    assert SEVERITY_NAMES[severity] in {"Unknown", "Low", "Medium", "High", "Critical"}
    assert CODE_QUALITY_SEVERITIES[severity] in {"info", "minor", "major", "critical", "blocker"}
    result = make_result(make_finding(kind=FindingKind.CODE, severity=severity))
    (issue,) = render(OutputFormat.CODEQUALITY, result)
    assert issue["severity"] == CODE_QUALITY_SEVERITIES[severity]


def test_code_quality_issues() -> None:
    issues = render(OutputFormat.CODEQUALITY, mixed())
    assert isinstance(issues, list)
    assert len(issues) == 4  # the suppressed secret is left out
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= issue.keys()
        assert issue["location"]["path"]
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert issues[-1]["location"]["path"] == "requirements.txt"
