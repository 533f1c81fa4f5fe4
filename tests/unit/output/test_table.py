"""The terminal table: active findings only, a coverage section, and a grep-able summary."""

from __future__ import annotations

import re

from secloop.core.finding import BaselineState, Suppression, SuppressionKind
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.output.interface import ReportContext
from secloop.output.table import TableFormatter, summary_line
from tests.unit.output.conftest import make_finding, make_result

_CONTEXT = ReportContext(width=120)


def test_suppressed_and_unchanged_findings_are_not_rows(sample: ScanResult) -> None:
    text = TableFormatter().render(sample, _CONTEXT)
    for finding in sample.findings:
        assert (finding.rule_id in text) is finding.active, finding.rule_id


def test_summary_line_counts(sample: ScanResult) -> None:
    expected = (
        "Total: 8 (CRITICAL 2, HIGH 2, MEDIUM 2, LOW 1, UNKNOWN 1); "
        "2 suppressed, 1 unchanged from baseline; 7 files scanned, 8 skipped, 2 failed"
    )
    assert summary_line(sample) == expected
    # printed on one line even though it is wider than the console
    assert expected in TableFormatter().render(sample, ReportContext(width=60)).splitlines()


def test_rows_ordered_by_severity_within_a_subject() -> None:
    result = make_result(
        make_finding(rule_id="LOW-1", severity=Severity.LOW),
        make_finding(rule_id="CRIT-1", severity=Severity.CRITICAL),
        make_finding(rule_id="MED-1", severity=Severity.MEDIUM),
    )
    text = TableFormatter().render(result, _CONTEXT)
    positions = [text.index(rule) for rule in ("CRIT-1", "MED-1", "LOW-1")]
    assert positions == sorted(positions)


def test_coverage_and_warnings_sections(sample: ScanResult) -> None:
    text = TableFormatter().render(sample, _CONTEXT)
    assert "Skipped inputs" in text
    assert re.search(r"^\s+too_large\s+1$", text, re.MULTILINE)
    assert "deploy/k8s/broken.yaml [kubernetes]: YAML error at line 4" in text
    assert "rule SL-OLD-001 in .secloopignore.yaml does not exist" in text


def test_clean_scan_says_no_findings() -> None:
    suppressed = make_finding(
        suppression=Suppression(kind=SuppressionKind.EXTERNAL, reason="accepted", source="x#1")
    )
    unchanged = make_finding(rule_id="T-002", baseline_state=BaselineState.UNCHANGED)
    text = TableFormatter().render(make_result(suppressed, unchanged), _CONTEXT)
    assert "No findings." in text
    assert "1 suppressed, 1 unchanged from baseline" in text


def test_markup_in_user_text_is_printed_literally() -> None:
    finding = make_finding(message="[bold red]fake[/] and [link=http://x]y[/link]")
    text = TableFormatter().render(make_result(finding), ReportContext(width=200))
    assert "[bold red]fake[/] and [link=http://x]y[/link]" in text


def test_output_is_plain_text_without_color(sample: ScanResult) -> None:
    assert "\x1b[" not in TableFormatter().render(sample, _CONTEXT)


def test_color_adds_ansi_styles(sample: ScanResult) -> None:
    assert "\x1b[" in TableFormatter().render(sample, ReportContext(color=True))


def test_no_trailing_blanks(sample: ScanResult) -> None:
    text = TableFormatter().render(sample, _CONTEXT)
    assert all(line == line.rstrip() for line in text.splitlines())
