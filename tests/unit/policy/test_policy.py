"""Ignore file, expiry, filters, baseline, gate and fail-closed coverage."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from secloop.core import (
    BaselineState,
    Finding,
    FindingKind,
    Location,
    Package,
    ScanResult,
    Severity,
    Skipped,
    SkipReason,
    SuppressionKind,
    Target,
    TargetKind,
    VulnerabilityDetail,
)
from secloop.core.errors import ConfigError, NothingScannedError
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.result import Scanned
from secloop.policy.apply import PolicySettings, apply_policy
from secloop.policy.baseline import resolved_since
from secloop.policy.gate import evaluate_gate, require_coverage
from secloop.policy.inline import find_inline_suppression
from secloop.policy.suppressions import apply_ignore_file, load_ignore_file

TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _finding(rule: str, path: str, severity: Severity = Severity.HIGH, **extra: object) -> Finding:
    finding = Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule,
        severity=severity,
        title=rule,
        message=rule,
        location=Location(path=path, start_line=1),
        scanner="s",
        anchor=rule,
    )
    return dataclasses.replace(finding, **extra)  # type: ignore[arg-type]


def _result(*findings: Finding, scanned: bool = True) -> ScanResult:
    return ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="proj"),
        started_at=NOW,
        finished_at=NOW,
        tool_version="0",
        findings=tuple(assign_fingerprints(findings)),
        coverage=(Scanned(path="a", by=("s",)),) if scanned else (),
    )


def _ignore(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".secloopignore.yaml"
    path.write_text(text)
    return path


def test_ignore_file_selectors_combine_with_and(tmp_path: Path) -> None:
    ignore = load_ignore_file(
        _ignore(
            tmp_path,
            """
suppressions:
  - rule: K8S-*
    path: "k8s/**/*.yaml"
    reason: cluster policy enforces this
  - package: pkg:pypi/pyyaml
    reason: not reachable
""",
        )
    )
    package = Package.create(name="pyyaml", version="5.3", ecosystem="PyPI")
    findings = [
        _finding("K8S-1", "k8s/prod/app.yaml"),
        _finding("K8S-1", "docker/app.yaml"),
        _finding("DOCKER-1", "k8s/prod/app.yaml"),
        _finding("VULN-1", "requirements.txt", package=package),
    ]
    marked, warnings = apply_ignore_file(findings, ignore, today=TODAY)
    assert [f.suppressed for f in marked] == [True, False, False, True]
    first = marked[0].suppression
    assert first is not None
    assert first.kind is SuppressionKind.EXTERNAL
    assert first.source == ".secloopignore.yaml#1"
    assert first.reason == "cluster policy enforces this"
    assert warnings == []


def test_fingerprint_and_package_name_selectors(tmp_path: Path) -> None:
    target = assign_fingerprints([_finding("R", "a.py")])[0]
    ignore = load_ignore_file(
        _ignore(
            tmp_path,
            f"""
suppressions:
  - fingerprint: "{target.fingerprint}"
    reason: reviewed
  - package: requests
    reason: pinned by the platform team
""",
        )
    )
    other = _finding("R", "b.py", fingerprint="other:1")
    package = Package.create(name="requests", version="1", ecosystem="PyPI")
    with_pkg = _finding("V", "x", package=package, fingerprint="v:1")
    no_pkg = _finding("V", "x", fingerprint="w:1")
    no_path = _finding("R", "x", location=Location(), fingerprint="z:1")
    marked, _ = apply_ignore_file([target, other, with_pkg, no_pkg, no_path], ignore, today=TODAY)
    assert [f.suppressed for f in marked] == [True, False, True, False, False]


def test_expired_suppressions_stop_applying_and_warn(tmp_path: Path) -> None:
    ignore = load_ignore_file(
        _ignore(
            tmp_path,
            """
suppressions:
  - rule: R
    reason: temporary
    expires: 2026-05-31
  - rule: S
    reason: until the end of the day
    expires: 2026-06-01
""",
        )
    )
    marked, warnings = apply_ignore_file(
        [_finding("R", "a"), _finding("S", "a")], ignore, today=TODAY
    )
    assert [f.suppressed for f in marked] == [False, True]
    assert warnings == [
        ".secloopignore.yaml#1: suppression expired on 2026-05-31; no longer applied (temporary)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("suppressions:\n  - rule: R\n", "reason: Field required"),
        ("suppressions:\n  - rule: R\n    reason: ''\n", "reason: String should have at least"),
        ("suppressions:\n  - reason: everything\n", "needs at least one of rule, path"),
        ("suppressions:\n  - rule: R\n    reason: x\n    owner: me\n", "unknown key"),
        ("suppressions: [\n", "invalid YAML at line"),
        ("suppressions:\n  - rule: R\n    reason: x\n    expires: someday\n", "expires"),
    ],
)
def test_ignore_file_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_ignore_file(_ignore(tmp_path, text))
    assert ".secloopignore.yaml" in str(caught.value)


def test_unreadable_ignore_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_ignore_file(tmp_path / "missing.yaml")


def test_empty_ignore_file_is_valid(tmp_path: Path) -> None:
    assert load_ignore_file(_ignore(tmp_path, "")).entries == ()


def test_policy_order_filters_then_suppressions_then_baseline(tmp_path: Path) -> None:
    vuln = VulnerabilityDetail(advisory_id="GHSA-1", installed_version="1")
    fixable = dataclasses.replace(vuln, fixed_versions=("2",))
    current = _result(
        _finding("A", "a", Severity.CRITICAL),
        _finding("B", "b", Severity.LOW),
        _finding("C", "c", Severity.HIGH),
        _finding("D", "d", Severity.HIGH, kind=FindingKind.VULNERABILITY, vulnerability=vuln),
        _finding("E", "e", Severity.HIGH, kind=FindingKind.VULNERABILITY, vulnerability=fixable),
    )
    previous = _result(_finding("A", "a", Severity.CRITICAL), _finding("Z", "z"))
    ignore = load_ignore_file(_ignore(tmp_path, "suppressions:\n  - rule: C\n    reason: ok\n"))
    result = apply_policy(
        current,
        PolicySettings(
            severities={Severity.HIGH, Severity.CRITICAL},
            ignore_unfixed=True,
            ignore_file=ignore,
            baseline=previous,
            today=TODAY,
        ),
    )
    states = {f.rule_id: (f.baseline_state, f.suppressed) for f in result.findings}
    assert states == {
        "A": (BaselineState.UNCHANGED, False),
        "C": (BaselineState.NEW, True),
        "E": (BaselineState.NEW, False),
    }
    assert [f.rule_id for f in result.active_findings] == ["E"]
    assert resolved_since(previous, result.findings) == 1


def test_gate_counts_active_findings_at_or_above_the_threshold() -> None:
    result = _result(_finding("A", "a", Severity.MEDIUM), _finding("B", "b", Severity.LOW))
    assert not evaluate_gate(result, fail_on=Severity.UNKNOWN).passed
    verdict = evaluate_gate(result, fail_on=Severity.MEDIUM)
    assert [f.rule_id for f in verdict.blocking] == ["A"]
    assert evaluate_gate(result, fail_on=Severity.HIGH).passed


def test_require_coverage_fails_closed_with_an_explanation() -> None:
    require_coverage(_result())
    empty = dataclasses.replace(
        _result(scanned=False),
        coverage=(
            Skipped(path="x", reason=SkipReason.BINARY),
            Skipped(path="y", reason=SkipReason.IGNORED),
        ),
        files_without_scanner=4,
    )
    with pytest.raises(
        NothingScannedError,
        match=r"nothing in proj could be scanned \(0 failed, 1 skipped, 1 ignored, "
        r"4 without a matching scanner\)",
    ):
        require_coverage(empty)


def test_inline_marker_only_on_own_or_previous_comment_line() -> None:
    finding = _finding("R", "a.py")
    lines = ["x = 1  # secloop:ignore R: reviewed -->"]
    outcome = find_inline_suppression(lines, finding)
    assert outcome.suppression is not None
    assert outcome.suppression.reason == "reviewed"
    code_above = ["y = 2  # secloop:ignore R reviewed", "x = 1"]
    on_second = dataclasses.replace(finding, location=Location(path="a.py", start_line=2))
    assert find_inline_suppression(code_above, on_second).suppression is None
    assert (
        find_inline_suppression(
            lines, dataclasses.replace(finding, location=Location(path="a.py"))
        ).suppression
        is None
    )
