"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure, CircleCI).

Mapping (see docs/formats.md for the reasons):

* one ``<testsuite>`` per subject: the file path, else the Kubernetes resource, else
  the package purl, so a CI's suite list reads like the scanned tree;
* one ``<testcase>`` per rule per subject, named ``RULE-ID: rule title``, with no line
  number and no severity in it: CI systems track a test's history by name, and
  findings that move or are re-rated must stay the same test;
* the testcase *fails* when an active finding of that rule is at or above the gate
  (``context.fail_on``), so the report is red exactly when the exit code is 1; it is
  *skipped* when every finding of it is suppressed or unchanged from the baseline; it
  *passes*, with the findings in ``<system-out>``, when they are only below the gate;
* a final ``secloop coverage`` suite has one passing testcase that summarises the
  coverage manifest (so a clean scan still reports one test) and one ``<error>``
  testcase per input that could not be read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from secloop.core.finding import BaselineState, Finding
from secloop.core.fingerprint import fingerprint_subject
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = ["COVERAGE_SUITE", "JunitFormatter"]

COVERAGE_SUITE = "secloop coverage"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all, not even escaped (XML 1.0 section 2.2).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NO_SUBJECT = "(target)"
_OUTCOMES = {"failure": "failures", "error": "errors", "skipped": "skipped"}
_COUNTS = ("tests", "failures", "errors", "skipped")


class JunitFormatter(Formatter):
    format = OutputFormat.JUNIT

    def render(self, result: ScanResult, context: ReportContext) -> str:
        root = ET.Element("testsuites", {"name": "secloop"})
        suites = [*_finding_suites(result, context.fail_on), _coverage_suite(result)]
        for suite in suites:
            root.append(suite)
        _set_counts(root, suites, _seconds(result))
        ET.indent(root, space="  ")
        return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def _clean(text: str) -> str:
    """User text with the characters XML 1.0 forbids replaced, so the file always parses."""
    return _NOT_XML.sub("\ufffd", text)


def _seconds(result: ScanResult) -> float:
    return max(0.0, (result.finished_at - result.started_at).total_seconds())


def _timestamp(moment: datetime) -> str:
    """The JUnit schema's timestamp: UTC, to the second, without a zone suffix."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A testcase's verdict: the findings that fail it and those only mentioned."""

    failing: tuple[Finding, ...]
    other: tuple[Finding, ...]


def _finding_suites(result: ScanResult, fail_on: Severity) -> list[ET.Element]:
    groups: dict[str, dict[str, list[Finding]]] = {}
    for finding in result.findings:
        subject = fingerprint_subject(finding) or _NO_SUBJECT
        groups.setdefault(subject, {}).setdefault(finding.rule_id, []).append(finding)
    suites: list[ET.Element] = []
    for subject in sorted(groups):
        by_rule = groups[subject]
        order = sorted(
            by_rule, key=lambda rule_id: (-max(f.severity for f in by_rule[rule_id]), rule_id)
        )
        cases = [_finding_case(subject, by_rule[rule_id], result, fail_on) for rule_id in order]
        suites.append(_suite(subject, cases, _timestamp(result.started_at), seconds=0.0))
    return suites


def _suite(name: str, cases: Sequence[ET.Element], timestamp: str, *, seconds: float) -> ET.Element:
    suite = ET.Element("testsuite", {"name": _clean(name), "timestamp": timestamp})
    suite.extend(cases)
    _set_counts(suite, cases, seconds)
    return suite


def _set_counts(element: ET.Element, children: Sequence[ET.Element], seconds: float) -> None:
    """tests/failures/errors/skipped summed from testcases, directly or through suites."""
    counts: Counter[str] = Counter()
    for child in children:
        if child.tag == "testcase":
            counts["tests"] += 1
            counts.update(key for tag, key in _OUTCOMES.items() if child.find(tag) is not None)
        else:
            counts.update({key: int(child.get(key, "0")) for key in _COUNTS})
    for key in _COUNTS:
        element.set(key, str(counts[key]))
    element.set("time", f"{seconds:.3f}")


def _finding_case(
    subject: str, findings: Sequence[Finding], result: ScanResult, fail_on: Severity
) -> ET.Element:
    first = findings[0]
    rule = result.rules.get(first.rule_id)
    title = rule.title if rule is not None else first.title
    attributes = {"name": _clean(f"{first.rule_id}: {title}"), "classname": _clean(subject)}
    if first.location.path is not None:
        attributes["file"] = _clean(first.location.path)
    case = ET.Element("testcase", {**attributes, "time": "0.000"})
    outcome = _judge(findings, fail_on)
    if outcome.failing:
        _add_failure(case, outcome.failing)
    elif all(not finding.active for finding in findings):
        ET.SubElement(case, "skipped", {"message": _clean(_inactive_reason(findings))})
    if outcome.other:
        out = ET.SubElement(case, "system-out")
        out.text = _clean("\n\n".join(_occurrence(f, _status(f, fail_on)) for f in outcome.other))
    return case


def _judge(findings: Sequence[Finding], fail_on: Severity) -> _Outcome:
    failing: list[Finding] = []
    other: list[Finding] = []
    for finding in findings:
        (failing if finding.active and finding.severity >= fail_on else other).append(finding)
    return _Outcome(failing=tuple(failing), other=tuple(other))


def _add_failure(case: ET.Element, failing: Sequence[Finding]) -> None:
    worst = max(finding.severity for finding in failing)
    count = f" ({len(failing)} occurrences)" if len(failing) > 1 else ""
    failure = ET.SubElement(
        case, "failure", {"message": _clean(failing[0].title + count), "type": worst.name}
    )
    failure.text = _clean("\n\n".join(_occurrence(finding, "") for finding in failing))


def _status(finding: Finding, fail_on: Severity) -> str:
    if finding.suppression is not None:
        return f"suppressed ({finding.suppression.kind.value}): {finding.suppression.reason}"
    if finding.baseline_state is BaselineState.UNCHANGED:
        return "unchanged from baseline"
    return f"below the gate ({fail_on.name})"


def _inactive_reason(findings: Sequence[Finding]) -> str:
    suppressed = [f for f in findings if f.suppression is not None]
    if len(suppressed) == len(findings) and suppressed[0].suppression is not None:
        return f"suppressed: {suppressed[0].suppression.reason}"
    if not suppressed:
        return "unchanged from baseline"
    return "suppressed or unchanged from baseline"


def _occurrence(finding: Finding, status: str) -> str:
    """One finding as plain text: where, what, how to fix, and how to refer to it."""
    location = finding.location
    where = location.display or (finding.package.purl if finding.package else "")
    if location.path is not None and location.resource is not None:
        where += f" ({location.resource.display})"
    lines = [f"{where} [{finding.severity.name}]" + (f" {status}" if status else "")]
    lines.append(finding.message or finding.title)
    if finding.vulnerability is not None:
        fixed = ", ".join(finding.vulnerability.fixed_versions) or "none"
        lines.append(f"Installed: {finding.vulnerability.installed_version}; fixed in: {fixed}")
    if finding.remediation:
        lines.append(f"Remediation: {finding.remediation}")
    if finding.fingerprint:
        lines.append(f"Fingerprint: {finding.fingerprint}")
    return "\n".join(lines)


def _coverage_suite(result: ScanResult) -> ET.Element:
    seconds = _seconds(result)
    summary = ET.Element(
        "testcase",
        {"name": "coverage manifest", "classname": COVERAGE_SUITE, "time": f"{seconds:.3f}"},
    )
    out = ET.SubElement(summary, "system-out")
    out.text = _clean(_coverage_text(result))
    cases = [summary]
    for entry in sorted(result.failed, key=lambda failed: (failed.path, failed.by)):
        case = ET.Element(
            "testcase",
            {"name": _clean(entry.path), "classname": COVERAGE_SUITE, "file": _clean(entry.path)},
        )
        case.set("time", "0.000")
        error = ET.SubElement(
            case, "error", {"message": _clean(entry.reason), "type": "input-failed"}
        )
        error.text = _clean(
            f"{entry.path}: {entry.reason}" + (f" (by {entry.by})" if entry.by else "")
        )
        cases.append(case)
    return _suite(COVERAGE_SUITE, cases, _timestamp(result.started_at), seconds=seconds)


def _coverage_text(result: ScanResult) -> str:
    skipped = Counter(entry.reason.value for entry in result.skipped)
    per_reason = ", ".join(f"{reason} {skipped[reason]}" for reason in sorted(skipped))
    lines = [
        f"{len(result.scanned)} inputs scanned, {len(result.skipped)} skipped, "
        f"{len(result.failed)} failed",
    ]
    if per_reason:
        lines.append(f"Skipped per reason: {per_reason}")
    lines.extend(
        f"Skipped: {entry.path} ({entry.reason.value}"
        + (f": {entry.detail})" if entry.detail else ")")
        for entry in result.skipped
    )
    lines.extend(f"Warning: {warning}" for warning in result.warnings)
    return "\n".join(lines)
