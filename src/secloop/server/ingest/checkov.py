"""Checkov JSON reports (``checkov -o json``): one check type, or a list of them.

One finding per failed check. Kubernetes resources (``Kind.namespace.name``) become
:class:`~secloop.core.location.KubernetesResource` values so that a Checkov
``CKV_K8S_*`` failure and the equivalent secloop rule on the same workload can be
correlated. Community Checkov emits no severities; those findings are ``UNKNOWN``
rather than a guessed level. Parsing errors make the scan partial.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import KubernetesResource, Location
from secloop.core.severity import Severity
from secloop.server.errors import IngestError
from secloop.server.ingest._common import (
    WireModel,
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

WHAT = "Checkov JSON"
SEVERITIES = {s.name: s for s in Severity} | {"INFO": Severity.UNKNOWN}
_KUBERNETES_TYPES = frozenset({"kubernetes", "helm", "kustomize"})


class CheckModel(WireModel):
    check_id: str
    check_name: str = ""
    file_path: str = ""
    file_line_range: tuple[int, ...] = ()
    resource: str = ""
    severity: str | None = None
    guideline: str | None = None


class ResultsModel(WireModel):
    failed_checks: tuple[CheckModel, ...] = ()
    parsing_errors: tuple[object, ...] = ()


class SummaryModel(WireModel):
    passed: int = 0
    checkov_version: str = ""


class CheckTypeModel(WireModel):
    check_type: str = ""
    results: ResultsModel = ResultsModel()
    summary: SummaryModel = SummaryModel()


def _resource(check_type: str, resource: str) -> KubernetesResource | None:
    if check_type not in _KUBERNETES_TYPES:
        return None
    parts = resource.split(".", 2)
    if len(parts) != 3:
        return None
    kind, namespace, name = parts
    return KubernetesResource(api_version="", kind=kind, name=name, namespace=namespace or None)


def _lines(check: CheckModel) -> tuple[int | None, int | None]:
    if len(check.file_line_range) != 2 or check.file_line_range[0] < 1:
        return None, None
    start, end = check.file_line_range
    return start, end if end >= start else None


def _finding(check_type: str, check: CheckModel, source: str) -> Finding:
    start, end = _lines(check)
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=check.check_id,
        severity=severity_from(check.severity, SEVERITIES, source=source, what=WHAT),
        title=check.check_name or check.check_id,
        message=f"{check.check_name} ({check_type} resource {check.resource})",
        location=Location(
            path=relative_path(check.file_path.lstrip("/")),
            start_line=start,
            end_line=end,
            resource=_resource(check_type, check.resource),
        ),
        scanner="checkov",
        anchor=f"{check.check_id}|{check.resource}",
        references=(check.guideline,) if check.guideline else (),
    )


def _sections(document: object) -> list[object]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "check_type" in document:
        return [document]
    return []  # a summary-only document: checkov found nothing to check


def _findings(sections: list[CheckTypeModel], source: str) -> Iterator[Finding]:
    for section in sections:
        for check in section.results.failed_checks:
            yield _finding(section.check_type, check, source)


class CheckovImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.CHECKOV

    def matches(self, document: object) -> bool:
        if isinstance(document, list):
            return bool(document) and isinstance(document[0], dict) and "check_type" in document[0]
        return isinstance(document, dict) and (
            "check_type" in document or "checkov_version" in document
        )

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        if not isinstance(document, list | dict):
            raise IngestError(f"{source}: not a valid {WHAT} report: expected an object or list")
        sections = [
            validate(CheckTypeModel, item, source=source, what=WHAT) for item in _sections(document)
        ]
        errors = sum(len(s.results.parsing_errors) for s in sections)
        version = next(
            (s.summary.checkov_version for s in sections if s.summary.checkov_version), ""
        )
        if not version and isinstance(document, dict):
            version = str(document.get("checkov_version", ""))
        return ImportedReport(
            format=self.format,
            tool="checkov",
            tool_version=version,
            findings=finish(_findings(sections, source), source=source, limits=limits),
            scanners=("checkov",),
            complete=errors == 0,
            coverage=CoverageSummary(failed=errors),
        )
