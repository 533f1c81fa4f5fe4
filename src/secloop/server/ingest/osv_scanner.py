"""OSV-Scanner JSON reports (``osv-scanner --format json``).

One finding per vulnerability record per package and source, in report order. An
advisory often appears twice for one package under two ids (a GHSA and a PYSEC
record that alias each other): the importer keeps both, with their aliases, and
correlation merges them into one finding on the server, recording why. Severity
comes from the record's ``database_specific.severity`` (GitHub's words); a record
without one is ``UNKNOWN``. An empty file is an empty report, as OSV-Scanner writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.location import Location
from secloop.core.package import Package, build_purl
from secloop.core.severity import Severity
from secloop.server.ingest._common import (
    WireModel,
    check_size,
    cwe_refs,
    finish,
    load_json,
    relative_path,
    severity_from,
    validate,
)
from secloop.server.ingest.interface import (
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)

WHAT = "OSV-Scanner JSON"
SEVERITIES = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


class SeverityModel(WireModel):
    type: str
    score: str


class EventModel(WireModel):
    introduced: str | None = None
    fixed: str | None = None


class RangeModel(WireModel):
    events: tuple[EventModel, ...] = ()


class CweModel(WireModel):
    cweId: str  # noqa: N815 - OSV's field name


class AffectedSpecificModel(WireModel):
    cwes: tuple[CweModel, ...] = ()


class AffectedModel(WireModel):
    ranges: tuple[RangeModel, ...] = ()
    database_specific: AffectedSpecificModel | None = None


class ReferenceModel(WireModel):
    url: str


class DatabaseSpecificModel(WireModel):
    severity: str | None = None
    cwe_ids: tuple[str, ...] = ()


class VulnerabilityModel(WireModel):
    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    severity: tuple[SeverityModel, ...] = ()
    affected: tuple[AffectedModel, ...] = ()
    references: tuple[ReferenceModel, ...] = ()
    database_specific: DatabaseSpecificModel | None = None


class PackageInfoModel(WireModel):
    name: str = ""
    version: str = ""
    ecosystem: str = ""
    commit: str | None = None


class PackageModel(WireModel):
    package: PackageInfoModel
    vulnerabilities: tuple[VulnerabilityModel, ...] = ()


class SourceModel(WireModel):
    path: str = ""
    type: str = ""


class ResultModel(WireModel):
    source: SourceModel
    packages: tuple[PackageModel, ...] = ()


class ReportModel(WireModel):
    results: tuple[ResultModel, ...] = ()


def _fixed(vuln: VulnerabilityModel) -> tuple[str, ...]:
    versions = (e.fixed for a in vuln.affected for r in a.ranges for e in r.events if e.fixed)
    return tuple(dict.fromkeys(versions))


def _cwes(vuln: VulnerabilityModel) -> list[str]:
    ids = [c.cweId for a in vuln.affected if a.database_specific for c in a.database_specific.cwes]
    if vuln.database_specific:
        ids += vuln.database_specific.cwe_ids
    return ids


def _finding(
    result: ResultModel, entry: PackageModel, vuln: VulnerabilityModel, source: str
) -> Finding:
    info = entry.package
    name = info.name or info.commit or "(unnamed)"
    version = info.version or info.commit or ""
    ecosystem = info.ecosystem or "generic"
    purl = build_purl(ecosystem, name, version or None)
    word = vuln.database_specific.severity if vuln.database_specific else None
    fixed = _fixed(vuln)
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=vuln.id,
        severity=severity_from(word, SEVERITIES, source=source, what=WHAT),
        title=f"{vuln.id} in {name} {version}".strip(),
        message=vuln.summary or vuln.details[:500] or vuln.id,
        location=Location(path=relative_path(result.source.path)),
        scanner="osv-scanner",
        anchor=f"{purl}|{vuln.id}",
        remediation=f"upgrade to {', '.join(fixed)}" if fixed else None,
        references=tuple(ref.url for ref in vuln.references),
        frameworks=cwe_refs(_cwes(vuln)),
        package=Package(name=name, version=version, ecosystem=ecosystem, purl=purl),
        vulnerability=VulnerabilityDetail(
            advisory_id=vuln.id,
            aliases=tuple(vuln.aliases),
            installed_version=version,
            fixed_versions=fixed,
            cvss_vectors=tuple(s.score for s in vuln.severity if s.type.startswith("CVSS")),
        ),
    )


def _findings(report: ReportModel, source: str) -> Iterator[Finding]:
    for result in report.results:
        for entry in result.packages:
            for vuln in entry.vulnerabilities:
                yield _finding(result, entry, vuln, source)


class OsvScannerImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.OSV_SCANNER

    def matches(self, document: object) -> bool:
        if not isinstance(document, dict) or not isinstance(document.get("results"), list):
            return False
        if "errors" in document or "metrics" in document:  # Semgrep and Bandit
            return False
        results = document["results"]
        return not results or (isinstance(results[0], dict) and "packages" in results[0])

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        check_size(data, source=source, limits=limits)
        if not data.strip():
            return ImportedReport(format=self.format, tool="osv-scanner", scanners=("osv-scanner",))
        document = load_json(data, source=source, limits=limits, what=WHAT)
        report = validate(ReportModel, document, source=source, what=WHAT)
        return ImportedReport(
            format=self.format,
            tool="osv-scanner",
            findings=finish(_findings(report, source), source=source, limits=limits),
            scanners=("osv-scanner",),
        )
