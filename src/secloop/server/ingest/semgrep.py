"""Semgrep JSON: the CLI report (``semgrep --json``) and the Semgrep App SCA export.

A CLI result is a code finding at a file position; the same rule at the same
position twice (Semgrep repeats a match found through two patterns) is one finding.
An SCA entry is a vulnerable dependency at a manifest line; Semgrep lists it once per
reachable usage, so entries with the same rule, manifest, line and version collapse.
A report with ``errors`` is partial: files Semgrep could not parse were not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.location import Location
from secloop.core.package import Package, build_purl
from secloop.core.severity import Severity
from secloop.server.ingest._common import (
    WireModel,
    collapse,
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

WHAT = "Semgrep JSON"
SEVERITIES = {
    "ERROR": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "INFO": Severity.LOW,
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm", "gem": "RubyGems", "maven": "Maven", "gomod": "Go"}


class PositionModel(WireModel):
    line: int
    col: int = 1


class MetadataModel(WireModel):
    cwe: list[str] | str | None = None
    references: list[str] | None = None


class ExtraModel(WireModel):
    message: str = ""
    severity: str
    fix: str | None = None
    lines: str | None = None
    metadata: MetadataModel = MetadataModel()


class ResultModel(WireModel):
    check_id: str
    path: str
    start: PositionModel
    end: PositionModel | None = None
    extra: ExtraModel


class CliReportModel(WireModel):
    results: list[ResultModel]
    errors: tuple[object, ...] = ()
    version: str = ""


class ScaReferencesModel(WireModel):
    cve_ids: tuple[str, ...] = Field(default=(), alias="cveIds")
    cwe_ids: tuple[str, ...] = Field(default=(), alias="cweIds")
    urls: tuple[str, ...] = ()


class AdvisoryModel(WireModel):
    rule_id: str = Field(alias="ruleId")
    title: str
    description: str = ""
    ecosystem: str = ""
    severity: str
    references: ScaReferencesModel = ScaReferencesModel()


class DependencyModel(WireModel):
    name: str
    version: str = Field(default="", alias="versionSpecifier")


class FileLocationModel(WireModel):
    path: str
    start_line: int | str | None = Field(default=None, alias="startLine")


class VulnModel(WireModel):
    title: str
    advisory: AdvisoryModel
    matched: DependencyModel = Field(alias="matchedDependency")
    file: FileLocationModel = Field(alias="dependencyFileLocation")
    safe: DependencyModel | None = Field(default=None, alias="closestSafeDependency")


class ScaReportModel(WireModel):
    vulns: list[VulnModel]


def _cli_finding(result: ResultModel, source: str) -> Finding:
    extra = result.extra
    cwes = extra.metadata.cwe
    end = result.end if result.end and result.end.line >= result.start.line else None
    return Finding(
        kind=FindingKind.CODE,
        rule_id=result.check_id,
        severity=severity_from(extra.severity, SEVERITIES, source=source, what=WHAT),
        title=result.check_id.rsplit(".", 1)[-1],
        message=extra.message,
        location=Location(
            path=relative_path(result.path) or result.path,
            start_line=max(result.start.line, 1),
            end_line=max(end.line, 1) if end else None,
            start_column=max(result.start.col, 1),
        ),
        scanner="semgrep",
        evidence=extra.lines,
        remediation=extra.fix,
        references=tuple(extra.metadata.references or ()),
        frameworks=cwe_refs([cwes] if isinstance(cwes, str) else cwes or ()),
    )


def _sca_finding(vuln: VulnModel, source: str) -> Finding:
    advisory = vuln.advisory
    ecosystem = _ECOSYSTEMS.get(advisory.ecosystem, advisory.ecosystem or "generic")
    purl = build_purl(ecosystem, vuln.matched.name, vuln.matched.version or None)
    line = int(vuln.file.start_line) if vuln.file.start_line else 0
    fixed = (vuln.safe.version,) if vuln.safe and vuln.safe.version else ()
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=advisory.rule_id,
        severity=severity_from(advisory.severity, SEVERITIES, source=source, what=WHAT),
        title=vuln.title,
        message=advisory.description or advisory.title,
        location=Location(path=relative_path(vuln.file.path), start_line=line or None),
        scanner="semgrep",
        anchor=f"{purl}|{advisory.rule_id}|{line}",
        references=tuple(advisory.references.urls),
        frameworks=cwe_refs(advisory.references.cwe_ids),
        package=Package(
            name=vuln.matched.name, version=vuln.matched.version, ecosystem=ecosystem, purl=purl
        ),
        vulnerability=VulnerabilityDetail(
            advisory_id=advisory.rule_id,
            aliases=tuple(advisory.references.cve_ids),
            installed_version=vuln.matched.version,
            fixed_versions=fixed,
        ),
    )


def _position(finding: Finding) -> tuple[str, str | None, int | None, int | None, str]:
    loc = finding.location
    return (finding.rule_id, loc.path, loc.start_line, loc.start_column, finding.anchor)


class SemgrepImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.SEMGREP

    def matches(self, document: object) -> bool:
        if not isinstance(document, dict):
            return False
        if "vulns" in document:
            return True
        results = document.get("results")
        return isinstance(results, list) and "errors" in document and "runs" not in document

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        errors = 0
        version = ""
        findings: Iterator[Finding]
        if isinstance(document, dict) and "vulns" in document:
            sca = validate(ScaReportModel, document, source=source, what=WHAT)
            findings = (_sca_finding(v, source) for v in sca.vulns)
        else:
            cli = validate(CliReportModel, document, source=source, what=WHAT)
            errors, version = len(cli.errors), cli.version
            findings = (_cli_finding(r, source) for r in cli.results)
        return ImportedReport(
            format=self.format,
            tool="semgrep",
            tool_version=version,
            findings=finish(collapse(findings, _position), source=source, limits=limits),
            scanners=("semgrep",),
            complete=errors == 0,
            coverage=CoverageSummary(failed=errors),
        )
