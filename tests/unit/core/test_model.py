from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from secloop.core import (
    Advisory,
    BaselineState,
    Failed,
    Finding,
    FindingKind,
    KubernetesResource,
    Location,
    Package,
    Scanned,
    ScanResult,
    Severity,
    Skipped,
    SkipReason,
    Suppression,
    SuppressionKind,
    Target,
    TargetKind,
    VulnerabilityDetail,
)
from secloop.core.errors import EXIT_TOOL_FAILURE, EXIT_USAGE, ConfigError, Error, TargetError


def _finding(**changes: object) -> Finding:
    base = Finding(
        kind=FindingKind.SECRET,
        rule_id="R1",
        severity=Severity.HIGH,
        title="t",
        message="m",
        location=Location(path="a.txt", start_line=3),
        scanner="s",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ecosystem", "name", "purl"),
    [
        ("PyPI", "requests", "pkg:pypi/requests@2.0"),
        ("npm", "@babel/core", "pkg:npm/%40babel/core@2.0"),
        (
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.0",
        ),
        ("Go", "github.com/gin-gonic/gin", "pkg:golang/github.com/gin-gonic/gin@2.0"),
        ("Debian:12", "openssl", "pkg:deb/debian/openssl@2.0"),
        ("Alpine:v3.19", "musl", "pkg:apk/alpine/musl@2.0"),
        ("Rocky Linux:9", "bash", "pkg:rpm/rockylinux/bash@2.0"),
        ("Unheard-Of", "thing", "pkg:generic/thing@2.0"),
    ],
)
def test_package_purls_per_ecosystem(ecosystem: str, name: str, purl: str) -> None:
    assert Package.create(name=name, version="2.0", ecosystem=ecosystem).purl == purl


def test_domain_values_are_frozen() -> None:
    finding = _finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.severity = Severity.LOW  # type: ignore[misc]


def test_location_rejects_impossible_lines() -> None:
    with pytest.raises(ValueError, match="start_line"):
        Location(path="a", start_line=0)
    with pytest.raises(ValueError, match="before start_line"):
        Location(path="a", start_line=5, end_line=4)


def test_location_display() -> None:
    resource = KubernetesResource(api_version="v1", kind="Pod", name="web", namespace="shop")
    assert Location(path="a.py").display == "a.py"
    assert Location(path="a.py", start_line=2).display == "a.py:2"
    assert Location(path="a.py", start_line=2, end_line=2).display == "a.py:2"
    assert Location(path="a.py", start_line=2, end_line=4).display == "a.py:2-4"
    assert Location(resource=resource).display == "Pod/shop/web"
    cluster_wide = KubernetesResource(api_version="v1", kind="Namespace", name="shop")
    assert cluster_wide.display == "Namespace/shop"
    assert Location().display == ""


def test_active_excludes_suppressed_and_unchanged() -> None:
    suppression = Suppression(kind=SuppressionKind.INLINE, reason="r", source="a.txt:3")
    assert _finding().active
    assert _finding(baseline_state=BaselineState.NEW).active
    assert not _finding(suppression=suppression).active
    assert _finding(suppression=suppression).suppressed
    assert not _finding(baseline_state=BaselineState.UNCHANGED).active


def test_vulnerability_fixable() -> None:
    assert VulnerabilityDetail(
        advisory_id="A", installed_version="1", fixed_versions=("2",)
    ).fixable
    assert not VulnerabilityDetail(advisory_id="A", installed_version="1").fixable


def test_advisory_ids_without_repeats() -> None:
    advisory = Advisory(id="GHSA-1", aliases=("CVE-1", "GHSA-1", "PYSEC-1"))
    assert advisory.all_ids == ("GHSA-1", "CVE-1", "PYSEC-1")


def test_result_views_and_counts() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="."),
        started_at=now,
        finished_at=now,
        tool_version="0",
        findings=(
            _finding(),
            _finding(severity=Severity.LOW, baseline_state=BaselineState.UNCHANGED),
        ),
        coverage=(
            Scanned(path="a", by=("s",)),
            Skipped(path="b", reason=SkipReason.BINARY),
            Failed(path="c", reason="bad"),
        ),
    )
    assert [c.path for c in result.scanned] == ["a"]
    assert [c.path for c in result.skipped] == ["b"]
    assert [c.path for c in result.failed] == ["c"]
    assert result.severity_counts()[Severity.HIGH] == 1
    assert result.severity_counts()[Severity.LOW] == 0
    assert result.severity_counts(active_only=False)[Severity.LOW] == 1
    assert len(result.severity_counts()) == len(Severity)


def test_errors_carry_messages_and_exit_codes() -> None:
    assert str(Error("boom")) == "boom"
    assert Error("x").exit_code == EXIT_TOOL_FAILURE
    assert ConfigError("x").exit_code == EXIT_USAGE
    assert TargetError("x").exit_code == EXIT_TOOL_FAILURE
