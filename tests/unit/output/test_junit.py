"""JUnit XML: parses, counts add up, and the gate decides failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from secloop.core.finding import BaselineState, Suppression, SuppressionKind
from secloop.core.location import Location
from secloop.core.result import Failed, ScanResult
from secloop.core.severity import Severity
from secloop.output.interface import ReportContext
from secloop.output.junit import COVERAGE_SUITE, JunitFormatter
from tests.unit.output.conftest import make_finding, make_result

_COUNTS = ("tests", "failures", "errors", "skipped")


def _parse(result: ScanResult, fail_on: Severity = Severity.UNKNOWN) -> ET.Element:
    text = JunitFormatter().render(result, ReportContext(fail_on=fail_on))
    return ET.fromstring(text.encode("utf-8"))  # noqa: S314 - our own output


def _counted(cases: list[ET.Element]) -> dict[str, int]:
    return {
        "tests": len(cases),
        "failures": sum(case.find("failure") is not None for case in cases),
        "errors": sum(case.find("error") is not None for case in cases),
        "skipped": sum(case.find("skipped") is not None for case in cases),
    }


def test_counts_are_consistent(sample: ScanResult) -> None:
    root = _parse(sample, Severity.HIGH)
    for suite in root.iter("testsuite"):
        expected = _counted(suite.findall("testcase"))
        assert {key: int(suite.get(key, "-1")) for key in _COUNTS} == expected
    expected = _counted(list(root.iter("testcase")))
    assert {key: int(root.get(key, "-1")) for key in _COUNTS} == expected
    assert expected == {"tests": 14, "failures": 4, "errors": 2, "skipped": 3}
    assert root.get("time") == "12.500"


def test_gate_decides_failure_or_pass() -> None:
    result = make_result(make_finding(severity=Severity.MEDIUM))
    failing = _parse(result, Severity.MEDIUM).find(".//testcase[@classname='app/config.yaml']")
    passing = _parse(result, Severity.HIGH).find(".//testcase[@classname='app/config.yaml']")
    assert failing is not None
    assert passing is not None
    failure = failing.find("failure")
    assert failure is not None
    assert failure.get("type") == "MEDIUM"
    assert failure.get("message") == "Test rule"
    assert "app/config.yaml:3" in (failure.text or "")
    assert passing.find("failure") is None
    assert passing.find("skipped") is None
    assert "below the gate (HIGH)" in (passing.findtext("system-out") or "")


def test_one_testcase_per_rule_per_file() -> None:
    result = make_result(
        make_finding(),
        make_finding(location=Location(path="app/config.yaml", start_line=9)),
        make_finding(rule_id="T-002"),
    )
    suite = _parse(result).find("testsuite[@name='app/config.yaml']")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["T-001: Test rule", "T-002: Test rule"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "Test rule (2 occurrences)"


def test_inactive_findings_are_skipped() -> None:
    suppressed = make_finding(
        suppression=Suppression(kind=SuppressionKind.INLINE, reason="reviewed", source="a:1")
    )
    unchanged = make_finding(rule_id="T-002", baseline_state=BaselineState.UNCHANGED)
    cases = _parse(make_result(suppressed, unchanged)).findall(".//testcase[@file]")
    messages = [case.find("skipped") for case in cases]
    assert [m.get("message") if m is not None else None for m in messages] == [
        "suppressed: reviewed",
        "unchanged from baseline",
    ]


def test_failed_inputs_are_errors() -> None:
    result = make_result(coverage=(Failed(path="bad.yaml", reason="parse error", by="yaml"),))
    suite = _parse(result).find(f"testsuite[@name='{COVERAGE_SUITE}']")
    assert suite is not None
    error = suite.find("testcase[@name='bad.yaml']/error")
    assert error is not None
    assert error.get("message") == "parse error"
    assert suite.get("errors") == "1"


def test_clean_scan_still_reports_one_passing_test(empty: ScanResult) -> None:
    root = _parse(empty)
    assert root.get("tests") == "1"
    assert root.get("failures") == "0"


def test_control_characters_and_markup_stay_well_formed() -> None:
    finding = make_finding(message="bell \x07 nul \x00 <tag> & ]]>", title="t\x1b[31m")
    root = _parse(make_result(finding))
    failure = root.find(".//failure")
    assert failure is not None
    assert "<tag> & ]]>" in (failure.text or "")
    assert "\x00" not in (failure.text or "")
    assert "\ufffd" in (failure.get("message") or "")
