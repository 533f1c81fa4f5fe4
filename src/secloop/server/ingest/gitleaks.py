"""Gitleaks JSON reports: version 8 (``RuleID``, ``File``) and the older 7.x layout.

Gitleaks scanning history reports the same secret once per commit that contains
it; rotating it is one task, so leaks with the same rule, file, line and secret are
collapsed into the first. The secret text is hashed into the anchor, never stored:
the evidence keeps only a redacted prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.severity import Severity
from secloop.server.errors import IngestError
from secloop.server.ingest._common import (
    WireModel,
    collapse,
    finish,
    load_json,
    relative_path,
    validate,
)
from secloop.server.ingest.interface import (
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)

WHAT = "Gitleaks JSON"
# Gitleaks has no severities; a leaked credential is high until triaged.
SEVERITY = Severity.HIGH


class LeakV8Model(WireModel):
    rule_id: str = Field(alias="RuleID")
    description: str = Field(default="", alias="Description")
    file: str = Field(alias="File")
    start_line: int | None = Field(default=None, alias="StartLine")
    secret: str = Field(default="", alias="Secret")
    match: str = Field(default="", alias="Match")
    commit: str = Field(default="", alias="Commit")


class LeakV7Model(WireModel):
    rule: str
    file: str
    line_number: int | None = Field(default=None, alias="lineNumber")
    offender: str = ""
    commit: str = ""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


def _redact(secret: str) -> str:
    return f"{secret[:4]}…" if len(secret) > 8 else "…"


def _line(value: int | None) -> int | None:
    return value if value and value > 0 else None


def _v8(leak: LeakV8Model) -> Finding:
    path = relative_path(leak.file) or leak.file
    return Finding(
        kind=FindingKind.SECRET,
        rule_id=leak.rule_id,
        severity=SEVERITY,
        title=f"Hard coded {leak.description or leak.rule_id} found in {leak.file}",
        message=f"{leak.description or leak.rule_id} in commit {leak.commit or '(working tree)'}",
        location=Location(path=path, start_line=_line(leak.start_line)),
        scanner="gitleaks",
        anchor=f"{leak.rule_id}|{_line(leak.start_line)}|{_digest(leak.secret or leak.match)}",
        evidence=_redact(leak.secret or leak.match),
    )


def _v7(leak: LeakV7Model) -> Finding:
    return Finding(
        kind=FindingKind.SECRET,
        rule_id=leak.rule,
        severity=SEVERITY,
        title=f"Hard Coded {leak.rule}",
        message=f"{leak.rule} in commit {leak.commit or '(working tree)'}",
        location=Location(
            path=relative_path(leak.file) or leak.file, start_line=_line(leak.line_number)
        ),
        scanner="gitleaks",
        anchor=f"{leak.rule}|{_line(leak.line_number)}|{_digest(leak.offender)}",
        evidence=_redact(leak.offender),
    )


def _findings(document: list[object], source: str) -> Iterator[Finding]:
    for index, item in enumerate(document):
        where = f"{source}[{index}]"
        if isinstance(item, dict) and "RuleID" in item:
            yield _v8(validate(LeakV8Model, item, source=where, what=WHAT))
        else:
            yield _v7(validate(LeakV7Model, item, source=where, what=WHAT))


def _same_leak(finding: Finding) -> tuple[str, str | None, str]:
    return (finding.rule_id, finding.location.path, finding.anchor)


class GitleaksImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.GITLEAKS

    def matches(self, document: object) -> bool:
        if not isinstance(document, list) or not document:
            return False
        first = document[0]
        return isinstance(first, dict) and (
            {"RuleID", "Secret"} <= first.keys() or {"rule", "offender"} <= first.keys()
        )

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        if document is None:  # gitleaks writes `null` when nothing leaked
            document = []
        if not isinstance(document, list):
            raise IngestError(f"{source}: not a valid {WHAT} report: expected a list of leaks")
        findings = collapse(_findings(document, source), _same_leak)
        return ImportedReport(
            format=self.format,
            tool="gitleaks",
            findings=finish(findings, source=source, limits=limits),
            scanners=("gitleaks",),
        )
