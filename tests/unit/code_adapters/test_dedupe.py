"""Peer findings that repeat secloop's own (same path, line and CWE or peer id) are merged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.policy.apply import PolicySettings, apply_policy
from secloop.policy.dedupe import REPORTED_BY, dedupe_peer_findings
from tests.unit.output.conftest import make_result


def code(scanner: str, rule_id: str, line: int, **frameworks: Any) -> Finding:
    return Finding(
        kind=FindingKind.CODE,
        rule_id=rule_id,
        severity=Severity.HIGH,
        title=rule_id,
        message=rule_id,
        location=Location(path="app.py", start_line=line),
        scanner=scanner,
        frameworks={k: tuple(v) for k, v in frameworks.items()},
    )


OWN = code("python", "PY-CMDI-001", 5, cwe=["CWE-78"])
BANDIT = code("bandit", "BANDIT-B602", 5, cwe=["CWE-78"], bandit=["B602"])
SEMGREP = code("semgrep", "SEMGREP-shell", 5, cwe=["CWE-78"], semgrep=["shell"])


def test_own_finding_kept_and_peers_recorded() -> None:
    (kept,) = dedupe_peer_findings([BANDIT, OWN, SEMGREP])
    assert kept.rule_id == "PY-CMDI-001"
    assert kept.frameworks[REPORTED_BY] == ("bandit:B602", "semgrep:shell")
    assert kept.frameworks["cwe"] == ("CWE-78",)


def test_two_results_of_one_tool_on_one_line_are_both_kept() -> None:
    partial_path = code("bandit", "BANDIT-B607", 5, cwe=["CWE-78"], bandit=["B607"])
    assert dedupe_peer_findings([BANDIT, partial_path]) == [BANDIT, partial_path]
    (kept,) = dedupe_peer_findings([BANDIT, partial_path, OWN])
    assert kept.frameworks[REPORTED_BY] == ("bandit:B602", "bandit:B607")


def test_other_line_or_cwe_is_not_a_duplicate() -> None:
    moved = code("bandit", "BANDIT-B602", 6, cwe=["CWE-78"], bandit=["B602"])
    other = code("bandit", "BANDIT-B403", 5, cwe=["CWE-502"], bandit=["B403"])
    assert dedupe_peer_findings([OWN, moved, other]) == [OWN, moved, other]


def test_peer_id_matches_when_cwes_differ() -> None:
    own = code("python", "PY-DESER-003", 8, cwe=["CWE-502"])
    peer = code("bandit", "BANDIT-B506", 8, cwe=["CWE-20"], bandit=["B506"])
    rules = {
        "PY-DESER-003": Rule(
            id="PY-DESER-003",
            kind=FindingKind.CODE,
            title="yaml",
            severity=Severity.HIGH,
            peers={"bandit": "B506"},
        )
    }
    assert dedupe_peer_findings([own, peer]) == [own, peer]  # no catalogue: no peer ids
    (kept,) = dedupe_peer_findings([own, peer], rules)
    assert kept.frameworks[REPORTED_BY] == ("bandit:B506",)


def test_bandit_wins_over_semgrep_without_an_own_finding() -> None:
    (kept,) = dedupe_peer_findings([SEMGREP, BANDIT])
    assert kept.scanner == "bandit"
    assert kept.frameworks[REPORTED_BY] == ("semgrep:shell",)


def test_own_findings_are_never_dropped_and_pathless_findings_untouched() -> None:
    twin = code("secret", "S-1", 5, cwe=["CWE-78"])
    pathless = Finding(
        kind=FindingKind.CODE,
        rule_id="BANDIT-B1",
        severity=Severity.LOW,
        title="t",
        message="m",
        scanner="bandit",
        frameworks={"cwe": ("CWE-78",)},
    )
    assert dedupe_peer_findings([OWN, twin, pathless]) == [OWN, twin, pathless]


def test_policy_dedupes_before_the_severity_filter() -> None:
    low_own = replace(OWN, severity=Severity.LOW)
    result = apply_policy(
        make_result(low_own, BANDIT),
        PolicySettings(severities={Severity.HIGH}, today=date(2025, 1, 1)),
    )
    assert result.findings == ()  # the peer's HIGH copy does not resurface
