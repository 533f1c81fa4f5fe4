"""Bandit JSON reports (``bandit -f json``).

One finding per result, in report order, with no collapsing: Bandit reports each
offending statement once. Bandit's ``errors`` (files it could not parse) make the
scan partial, so a re-import does not close findings in those files.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.severity import Severity
from secloop.server.ingest._common import (
    WireModel,
    cwe_refs,
    finish,
    load_json,
    relative_path,
    severity_from,
    validate,
)
from secloop.server.ingest.interface import (
    CoverageSummary,
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)

WHAT = "Bandit JSON"
SEVERITIES = {
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "UNDEFINED": Severity.UNKNOWN,
}


class CweModel(WireModel):
    id: int | None = None


class ResultModel(WireModel):
    test_id: str
    test_name: str = ""
    filename: str
    line_number: int
    line_range: tuple[int, ...] = ()
    col_offset: int | None = None
    issue_text: str
    issue_severity: str
    issue_confidence: str = ""
    issue_cwe: CweModel | None = None
    more_info: str | None = None
    code: str | None = None


class ReportModel(WireModel):
    results: list[ResultModel]
    errors: tuple[object, ...] = ()
    generated_at: str | None = Field(default=None)


def _statement(code: str | None, line: int) -> str | None:
    """The offending line without Bandit's line-number prefix: the fingerprint anchor."""
    if not code:
        return None
    prefix = f"{line} "
    for text in code.splitlines():
        if text.startswith(prefix):
            return text[len(prefix) :].strip() or None
    return None


def _finding(result: ResultModel, source: str) -> Finding:
    line = max(result.line_number, 1)
    end = max(result.line_range) if result.line_range else line
    statement = _statement(result.code, result.line_number)
    cwe = result.issue_cwe.id if result.issue_cwe and result.issue_cwe.id else None
    return Finding(
        kind=FindingKind.CODE,
        rule_id=result.test_id,
        severity=severity_from(result.issue_severity, SEVERITIES, source=source, what=WHAT),
        title=result.issue_text,  # Bandit's text is per test, stable: a good title
        message=f"{result.issue_text} (confidence {result.issue_confidence.lower() or 'unknown'})",
        location=Location(
            path=relative_path(result.filename) or result.filename,
            start_line=line,
            end_line=end if end >= line else None,
        ),
        scanner="bandit",
        anchor=f"{result.test_id}|{statement}" if statement else "",
        evidence=result.code,
        references=(result.more_info,) if result.more_info else (),
        frameworks=cwe_refs([cwe] if cwe else ()),
    )


class BanditImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.BANDIT

    def matches(self, document: object) -> bool:
        return isinstance(document, dict) and "results" in document and "metrics" in document

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        report = validate(ReportModel, document, source=source, what=WHAT)
        findings = (_finding(result, source) for result in report.results)
        return ImportedReport(
            format=self.format,
            tool="bandit",
            findings=finish(findings, source=source, limits=limits),
            scanners=("bandit",),
            complete=not report.errors,
            coverage=CoverageSummary(failed=len(report.errors)),
        )
