"""Package lines, directness and licences in the formats that place findings: SARIF
regions, GitLab dependency locations, the table's location column."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secloop.core.finding import FindingKind, VulnerabilityDetail
from secloop.core.package import Package, PackageLocation
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.registry import formatter_for
from secloop.scan.vuln.findings import package_location
from tests.unit.output.conftest import make_finding, make_result


def _vulnerable(direct: bool | None) -> Any:
    package = Package.create(
        name="lodash",
        version="4.17.20",
        ecosystem="npm",
        locations=(PackageLocation(path="web/package-lock.json", line=42),),
        license="MIT",
        direct=direct,
    )
    return make_finding(
        kind=FindingKind.VULNERABILITY,
        rule_id="GHSA-35jh-r3h4-6jhm",
        location=package_location(package),
        package=package,
        vulnerability=VulnerabilityDetail(
            advisory_id="GHSA-35jh-r3h4-6jhm", installed_version="4.17.20"
        ),
    )


def _render(fmt: OutputFormat, direct: bool | None = True) -> str:
    return formatter_for(fmt).render(make_result(_vulnerable(direct)), ReportContext())


def test_sarif_region_is_the_dependency_line() -> None:
    (result,) = json.loads(_render(OutputFormat.SARIF))["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "web/package-lock.json"
    assert physical["region"]["startLine"] == 42


@pytest.mark.parametrize("direct", [True, False, None])
def test_gitlab_dependency_says_whether_it_is_direct(direct: bool | None) -> None:
    document = json.loads(_render(OutputFormat.GITLAB_DEPENDENCY_SCANNING, direct))
    (vulnerability,) = document["vulnerabilities"]
    assert vulnerability["location"]["file"] == "web/package-lock.json"
    assert vulnerability["location"]["dependency"].get("direct") == direct


def test_table_points_at_file_and_line() -> None:
    assert "web/package-lock.json:42" in _render(OutputFormat.TABLE)
