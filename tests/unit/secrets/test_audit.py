"""``secloop secrets audit``: decisions from the terminal become ignore-file entries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.secrets import secrets_group
from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.interface import ReportContext
from secloop.output.json_format import JsonFormatter
from secloop.policy.suppressions import apply_ignore_file, load_ignore_file
from secloop.scan.secrets.audit import (
    Decision,
    audit_findings,
    audit_reason,
    write_suppressions,
)


def _finding(n: int, kind: FindingKind = FindingKind.SECRET) -> Finding:
    return Finding(
        kind=kind,
        rule_id=f"SECRET-RULE-{n}",
        severity=Severity.HIGH,
        title=f"Rule {n}",
        message=f"Rule {n} (abcd****) committed in the file",
        location=Location(path=f"src/f{n}.py", start_line=n),
        scanner="secret",
        evidence=f"token = abcd**** # {n}",
        fingerprint=f"{n:032x}:1",
    )


def _report(tmp_path: Path, findings: list[Finding]) -> Path:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="."),
        started_at=now,
        finished_at=now,
        tool_version="0",
        findings=tuple(findings),
    )
    path = tmp_path / "report.json"
    path.write_text(JsonFormatter().render(result, ReportContext()), encoding="utf-8")
    return path


def _audit(tmp_path: Path, report: Path, keys: str) -> str:
    ignore = tmp_path / ".secloopignore.yaml"
    args = ["audit", str(report), "--ignore-file", str(ignore), "--user", "alice"]
    result = CliRunner().invoke(secrets_group, args, input=keys)
    assert result.exit_code == 0, result.output
    return result.output


def test_false_positives_are_written_with_reason(tmp_path: Path) -> None:
    findings = [_finding(1), _finding(2), _finding(3), _finding(4, FindingKind.CODE)]
    output = _audit(tmp_path, _report(tmp_path, findings), "n\ny\nn\n")
    assert "[1/3] SECRET-RULE-1 (High)" in output
    assert "src/f1.py:1" in output
    assert "token = abcd****" in output
    ignore = load_ignore_file(tmp_path / ".secloopignore.yaml")
    assert [(e.rule, e.fingerprint) for e in ignore.entries] == [
        ("SECRET-RULE-1", f"{1:032x}:1"),
        ("SECRET-RULE-3", f"{3:032x}:1"),
    ]
    today = datetime.now(UTC).date().isoformat()
    assert ignore.entries[0].reason == f"false positive, audited by alice on {today}"
    marked, _ = apply_ignore_file(findings, ignore, today=date.today())
    assert [f.suppressed for f in marked] == [True, False, True, False]


def test_skip_quit_and_a_second_audit_asks_only_what_is_left(tmp_path: Path) -> None:
    report = _report(tmp_path, [_finding(1), _finding(2), _finding(3)])
    output = _audit(tmp_path, report, "s\nn\nq\n")
    assert "1 not reviewed" in output
    output = _audit(tmp_path, report, "y\ny\n")
    assert "SECRET-RULE-2" not in output  # audited as a false positive the first time
    assert "[1/2] SECRET-RULE-1" in output
    output = _audit(tmp_path, report, "")
    assert "[1/2]" in output  # real ones are asked again: they are not written anywhere


def test_invalid_key_is_asked_again(tmp_path: Path) -> None:
    output = _audit(tmp_path, _report(tmp_path, [_finding(1)]), "maybe\nn\n")
    assert "not one of" in output or "invalid choice" in output.lower()
    assert len(load_ignore_file(tmp_path / ".secloopignore.yaml").entries) == 1


def test_nothing_to_audit(tmp_path: Path) -> None:
    assert "No secret left" in _audit(tmp_path, _report(tmp_path, []), "")


def test_existing_file_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / ".secloopignore.yaml"
    path.write_text(
        "# team suppressions\nsuppressions:\n- rule: SL-K8S-001  # accepted\n  reason: legacy\n",
        encoding="utf-8",
    )
    write_suppressions(path, [_finding(7)], audit_reason("bob", date(2024, 5, 1)))
    text = path.read_text(encoding="utf-8")
    assert "# team suppressions" in text
    assert "# accepted" in text
    entries = load_ignore_file(path).entries
    assert [e.rule for e in entries] == ["SL-K8S-001", "SECRET-RULE-7"]
    assert entries[1].reason == "false positive, audited by bob on 2024-05-01"


def test_flow_style_file_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "ignore.yaml"
    path.write_text("suppressions: [{rule: A-1, reason: r}]\n", encoding="utf-8")
    write_suppressions(path, [_finding(1), _finding(2)], "fp")
    assert [e.rule for e in load_ignore_file(path).entries] == [
        "A-1",
        "SECRET-RULE-1",
        "SECRET-RULE-2",
    ]


@pytest.mark.parametrize("decision", list(Decision))
def test_every_decision_is_handled(decision: Decision) -> None:
    summary = audit_findings([_finding(1)], lambda *_: decision)
    counted = summary.real + len(summary.false_positives) + summary.skipped + summary.remaining
    assert counted == 1
