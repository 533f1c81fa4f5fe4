"""Grype JSON reports (``grype -o json``).

One finding per vulnerability and package: Grype lists the same match once per
location (``libc.so.6`` under ``/lib`` and ``/usr/lib``), which is one problem to fix,
so matches with the same vulnerability id, package name, version and type are
collapsed, keeping the first. Related vulnerabilities (the CVE behind a GHSA) become
aliases, which is what lets correlation merge a Grype GHSA with a Trivy CVE.
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

WHAT = "Grype JSON"
SEVERITIES = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "NEGLIGIBLE": Severity.UNKNOWN,  # informational: below every gate threshold
    "UNKNOWN": Severity.UNKNOWN,
}
# Grype artifact type -> OSV ecosystem.
_ECOSYSTEMS = {
    "deb": "Debian",
    "apk": "Alpine",
    "rpm": "Red Hat",
    "python": "PyPI",
    "npm": "npm",
    "go-module": "Go",
    "java-archive": "Maven",
    "gem": "RubyGems",
    "rust-crate": "crates.io",
    "php-composer": "Packagist",
    "dotnet": "NuGet",
}


class CvssModel(WireModel):
    version: str = ""
    vector: str = ""


class FixModel(WireModel):
    versions: tuple[str, ...] = ()
    state: str = ""


class VulnerabilityModel(WireModel):
    id: str
    severity: str = "Unknown"
    description: str | None = None
    urls: list[str] | None = None
    data_source: str | None = Field(default=None, alias="dataSource")
    cvss: list[CvssModel] | None = None
    fix: FixModel | None = None


class RelatedModel(WireModel):
    id: str
    description: str | None = None
    cvss: list[CvssModel] | None = None


class ArtifactLocationModel(WireModel):
    path: str = ""


class ArtifactModel(WireModel):
    name: str
    version: str
    type: str = ""
    purl: str | None = None
    locations: tuple[ArtifactLocationModel, ...] = ()


class MatchModel(WireModel):
    vulnerability: VulnerabilityModel
    related: list[RelatedModel] | None = Field(default=None, alias="relatedVulnerabilities")
    artifact: ArtifactModel


class DescriptorModel(WireModel):
    name: str = "grype"
    version: str = ""


class SourceTargetModel(WireModel):
    user_input: str | None = Field(default=None, alias="userInput")


class SourceModel(WireModel):
    target: SourceTargetModel | str | None = None


class ReportModel(WireModel):
    matches: list[MatchModel]
    source: SourceModel | None = None
    descriptor: DescriptorModel | None = None


def _finding(match: MatchModel, source: str) -> Finding:
    vuln, artifact = match.vulnerability, match.artifact
    ecosystem = _ECOSYSTEMS.get(artifact.type, artifact.type or "generic")
    purl = (artifact.purl or build_purl(ecosystem, artifact.name, artifact.version)).split("?")[0]
    aliases = tuple(dict.fromkeys(r.id for r in match.related or () if r.id != vuln.id))
    fixed = tuple((vuln.fix or FixModel()).versions)
    vectors = [c.vector for c in vuln.cvss or () if c.vector]
    vectors += [c.vector for r in match.related or () for c in r.cvss or () if c.vector]
    description = vuln.description or next(
        (r.description for r in match.related or () if r.description), None
    )
    path = relative_path(artifact.locations[0].path) if artifact.locations else None
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=vuln.id,
        severity=severity_from(vuln.severity, SEVERITIES, source=source, what=WHAT),
        title=f"{vuln.id} in {artifact.name}:{artifact.version}",
        message=description or vuln.id,
        location=Location(path=path),
        scanner="grype",
        anchor=f"{purl}|{vuln.id}",
        remediation=", ".join(fixed) or None,
        references=tuple(vuln.urls or ()),
        package=Package(
            name=artifact.name, version=artifact.version, ecosystem=ecosystem, purl=purl
        ),
        vulnerability=VulnerabilityDetail(
            advisory_id=vuln.id,
            aliases=aliases,
            installed_version=artifact.version,
            fixed_versions=fixed,
            cvss_vectors=tuple(dict.fromkeys(vectors)),
        ),
    )


def _findings(report: ReportModel, source: str) -> Iterator[Finding]:
    for match in report.matches:
        yield _finding(match, source)


def _same_problem(finding: Finding) -> tuple[str, str]:
    # The anchor is purl|id: the path is not part of it on purpose (see module doc).
    return (finding.rule_id, finding.anchor)


class GrypeImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.GRYPE

    def matches(self, document: object) -> bool:
        return (
            isinstance(document, dict)
            and "matches" in document
            and ("descriptor" in document or "source" in document)
        )

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        report = validate(ReportModel, document, source=source, what=WHAT)
        findings = collapse(_findings(report, source), _same_problem)
        target = report.source.target if report.source else None
        descriptor = report.descriptor or DescriptorModel()
        return ImportedReport(
            format=self.format,
            tool="grype",
            tool_version=descriptor.version,
            target=(target.user_input or "") if isinstance(target, SourceTargetModel) else "",
            findings=finish(findings, source=source, limits=limits),
            scanners=("grype",),
        )
