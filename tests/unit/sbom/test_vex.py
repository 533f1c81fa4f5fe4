"""VEX statements suppress exactly the findings they name, keeping the justification."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from secloop.core.errors import ConfigError
from secloop.core.finding import Finding, FindingKind, SuppressionKind, VulnerabilityDetail
from secloop.core.package import Package
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.policy.apply import PolicySettings, apply_policy
from secloop.policy.vex import apply_vex, load_vex, parse_vex
from tests.conftest import corpus_path

CISA = "cyclonedx-examples", "VEX", "CISA-Use-Cases", "Case-1"


def _finding(advisory: str, purl_name: str = "log4j-core", version: str = "2.14.1") -> Finding:
    package = Package.create(
        name=f"org.apache.logging.log4j:{purl_name}", version=version, ecosystem="Maven"
    )
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=advisory,
        severity=Severity.CRITICAL,
        title="t",
        message="m",
        scanner="vuln",
        package=package,
        vulnerability=VulnerabilityDetail(
            advisory_id=advisory, aliases=("CVE-2021-44228",), installed_version=version
        ),
    )


@pytest.mark.parametrize(
    ("name", "suppressed"),
    [
        ("vex-not_affected.json", True),
        ("vex-fixed.json", True),
        ("vex-affected.json", False),
        ("vex-under_investigation.json", False),
    ],
)
def test_cisa_case_1_states(name: str, suppressed: bool) -> None:
    vex = load_vex(corpus_path(*CISA, name))
    (finding,) = apply_vex([_finding("GHSA-jfh8-c2jp-5v3q")], vex)
    assert finding.suppressed is suppressed
    if suppressed:
        assert finding.suppression is not None
        assert finding.suppression.kind is SuppressionKind.EXTERNAL
        assert finding.suppression.source == f"VEX:{corpus_path(*CISA, name)}"
    if name == "vex-not_affected.json":
        assert finding.suppression is not None
        assert finding.suppression.reason.startswith("not_affected: code_not_present: ")


def test_every_corpus_vex_document_loads() -> None:
    for path in sorted(corpus_path("cyclonedx-examples", "VEX").rglob("vex*.json")):
        load_vex(path)


def test_component_scoped_statement_matches_only_that_package() -> None:
    vex = parse_vex(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "components": [
                    {
                        "type": "library",
                        "name": "log4j-core",
                        "bom-ref": "c1",
                        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                    }
                ],
                "vulnerabilities": [
                    {
                        "id": "CVE-2021-44228",
                        "analysis": {"state": "false_positive"},
                        "affects": [{"ref": "c1"}],
                    }
                ],
            }
        ).encode(),
        "vex.json",
    )
    hit, other_package, other_version, no_detail = apply_vex(
        [
            _finding("GHSA-1"),
            _finding("GHSA-1", purl_name="log4j-api"),
            _finding("GHSA-1", version="2.15.0"),
            replace(_finding("GHSA-1"), vulnerability=None),
        ],
        vex,
    )
    assert hit.suppressed
    assert not other_package.suppressed
    assert not other_version.suppressed
    assert not no_detail.suppressed


def test_openvex_statement() -> None:
    document = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "statements": [
            {
                "vulnerability": {"name": "CVE-2021-44228"},
                "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            }
        ],
    }
    vex = parse_vex(json.dumps(document).encode(), "o.json")
    (finding,) = apply_vex([_finding("GHSA-x")], vex)
    assert finding.suppression is not None
    assert "vulnerable_code_not_in_execute_path" in finding.suppression.reason


def test_policy_applies_vex() -> None:
    vex = load_vex(corpus_path(*CISA, "vex-not_affected.json"))
    now = datetime(2025, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(TargetKind.SBOM, "bom.json"),
        started_at=now,
        finished_at=now,
        tool_version="0",
        findings=(_finding("GHSA-jfh8-c2jp-5v3q"),),
    )
    applied = apply_policy(result, PolicySettings(today=date(2025, 1, 1), vex=vex))
    assert not applied.active_findings


@pytest.mark.parametrize(
    "data", [b"{", b"[]", b'{"hello": 1}', b'{"bomFormat": "CycloneDX", "vulnerabilities": {}}']
)
def test_bad_vex_files_are_config_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "v.json"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=r"v\.json"):
        load_vex(path)
