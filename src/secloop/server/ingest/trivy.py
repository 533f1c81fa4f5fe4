"""Trivy JSON reports: filesystem/image (schema 2 and the legacy list) and Kubernetes.

One finding per vulnerability, failed misconfiguration, secret and license, in
report order (vulnerabilities, misconfigurations, secrets, licenses per result).
Misconfigurations that passed are not findings. A vulnerability with the VEX-style
status ``not_affected`` is imported suppressed, so it is kept but not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from secloop.core.finding import (
    Finding,
    FindingKind,
    Suppression,
    SuppressionKind,
    VulnerabilityDetail,
)
from secloop.core.location import KubernetesResource, Location
from secloop.core.package import Package, build_purl
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
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)

WHAT = "Trivy JSON"
SEVERITIES = {s.name: s for s in Severity}

# Trivy result ``Type`` -> OSV ecosystem, for purls; unknown types stay generic.
_ECOSYSTEMS = {
    "alpine": "Alpine",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "redhat": "Red Hat",
    "rocky": "Rocky Linux",
    "alma": "AlmaLinux",
    "pip": "PyPI",
    "pipenv": "PyPI",
    "poetry": "PyPI",
    "python-pkg": "PyPI",
    "npm": "npm",
    "yarn": "npm",
    "pnpm": "npm",
    "node-pkg": "npm",
    "gomod": "Go",
    "gobinary": "Go",
    "cargo": "crates.io",
    "composer": "Packagist",
    "bundler": "RubyGems",
    "gemspec": "RubyGems",
    "jar": "Maven",
    "pom": "Maven",
    "gradle": "Maven",
    "nuget": "NuGet",
}
_SUPPRESSING_STATUSES = frozenset({"not_affected"})


class CvssModel(WireModel):
    v3_vector: str | None = Field(default=None, alias="V3Vector")


class VulnModel(WireModel):
    vulnerability_id: str = Field(alias="VulnerabilityID")
    pkg_name: str = Field(alias="PkgName")
    pkg_path: str | None = Field(default=None, alias="PkgPath")
    installed_version: str = Field(default="", alias="InstalledVersion")
    fixed_version: str | None = Field(default=None, alias="FixedVersion")
    status: str | None = Field(default=None, alias="Status")
    title: str | None = Field(default=None, alias="Title")
    description: str | None = Field(default=None, alias="Description")
    severity: str = Field(alias="Severity")
    cwe_ids: list[str] | None = Field(default=None, alias="CweIDs")
    cvss: dict[str, CvssModel] | None = Field(default=None, alias="CVSS")
    references: list[str] | None = Field(default=None, alias="References")
    primary_url: str | None = Field(default=None, alias="PrimaryURL")


class CauseModel(WireModel):
    start_line: int | None = Field(default=None, alias="StartLine")
    end_line: int | None = Field(default=None, alias="EndLine")


class MisconfModel(WireModel):
    id: str = Field(alias="ID")
    title: str = Field(default="", alias="Title")
    message: str = Field(default="", alias="Message")
    description: str = Field(default="", alias="Description")
    resolution: str | None = Field(default=None, alias="Resolution")
    severity: str = Field(alias="Severity")
    status: str = Field(default="FAIL", alias="Status")
    references: list[str] | None = Field(default=None, alias="References")
    cause: CauseModel | None = Field(default=None, alias="CauseMetadata")


class SecretModel(WireModel):
    rule_id: str = Field(alias="RuleID")
    title: str = Field(default="", alias="Title")
    severity: str = Field(alias="Severity")
    start_line: int | None = Field(default=None, alias="StartLine")
    end_line: int | None = Field(default=None, alias="EndLine")
    match: str = Field(default="", alias="Match")


class LicenseModel(WireModel):
    name: str = Field(alias="Name")
    severity: str = Field(alias="Severity")
    pkg_name: str = Field(default="", alias="PkgName")
    file_path: str = Field(default="", alias="FilePath")
    category: str = Field(default="", alias="Category")


class ResultModel(WireModel):
    target: str = Field(alias="Target")
    result_class: str = Field(default="", alias="Class")
    type: str = Field(default="", alias="Type")
    vulnerabilities: list[VulnModel] | None = Field(default=None, alias="Vulnerabilities")
    misconfigurations: list[MisconfModel] | None = Field(default=None, alias="Misconfigurations")
    secrets: list[SecretModel] | None = Field(default=None, alias="Secrets")
    licenses: list[LicenseModel] | None = Field(default=None, alias="Licenses")


class ResourceModel(WireModel):
    namespace: str | None = Field(default=None, alias="Namespace")
    kind: str = Field(alias="Kind")
    name: str = Field(alias="Name")
    results: list[ResultModel] | None = Field(default=None, alias="Results")


class ReportModel(WireModel):
    artifact_name: str = Field(default="", alias="ArtifactName")
    cluster_name: str | None = Field(default=None, alias="ClusterName")
    results: list[ResultModel] | None = Field(default=None, alias="Results")
    resources: list[ResourceModel] | None = Field(default=None, alias="Resources")
    k8s_vulnerabilities: list[ResourceModel] | None = Field(default=None, alias="Vulnerabilities")
    k8s_misconfigurations: list[ResourceModel] | None = Field(
        default=None, alias="Misconfigurations"
    )


class _Reader:
    """Builds findings for one result, with the Kubernetes resource it belongs to."""

    def __init__(self, source: str, resource: KubernetesResource | None) -> None:
        self.source = source
        self.resource = resource

    def severity(self, word: str) -> Severity:
        return severity_from(word, SEVERITIES, source=self.source, what=WHAT)

    def findings(self, result: ResultModel) -> Iterator[Finding]:
        for vuln in result.vulnerabilities or ():
            yield self.vulnerability(result, vuln)
        for misconf in result.misconfigurations or ():
            if misconf.status.upper() == "FAIL":
                yield self.misconfiguration(result, misconf)
        for secret in result.secrets or ():
            yield self.secret(result, secret)
        for license_ in result.licenses or ():
            yield self.license(license_)

    def vulnerability(self, result: ResultModel, vuln: VulnModel) -> Finding:
        ecosystem = _ECOSYSTEMS.get(result.type, result.type or "generic")
        purl = build_purl(ecosystem, vuln.pkg_name, vuln.installed_version or None)
        package = Package(
            name=vuln.pkg_name, version=vuln.installed_version, ecosystem=ecosystem, purl=purl
        )
        is_file = result.result_class == "lang-pkgs"
        path = relative_path(vuln.pkg_path or (result.target if is_file else None))
        fixed = tuple(v.strip() for v in (vuln.fixed_version or "").split(",") if v.strip())
        vectors = tuple(c.v3_vector for c in (vuln.cvss or {}).values() if c.v3_vector)
        status = (vuln.status or "").lower()
        suppression = None
        if status in _SUPPRESSING_STATUSES:
            reason = f"trivy status {status}"
            suppression = Suppression(kind=SuppressionKind.EXTERNAL, reason=reason, source="trivy")
        return Finding(
            kind=FindingKind.VULNERABILITY,
            rule_id=vuln.vulnerability_id,
            severity=self.severity(vuln.severity),
            title=f"{vuln.vulnerability_id} {vuln.pkg_name} {vuln.installed_version}",
            message=vuln.title or vuln.description or vuln.vulnerability_id,
            location=Location(path=path, resource=self.resource),
            scanner="trivy",
            anchor=f"{purl}|{vuln.vulnerability_id}",
            remediation=", ".join(fixed) or None,
            references=tuple(vuln.references or ([vuln.primary_url] if vuln.primary_url else [])),
            frameworks=cwe_refs(vuln.cwe_ids or ()),
            package=package,
            vulnerability=VulnerabilityDetail(
                advisory_id=vuln.vulnerability_id,
                installed_version=vuln.installed_version,
                fixed_versions=fixed,
                cvss_vectors=vectors,
            ),
            suppression=suppression,
        )

    def misconfiguration(self, result: ResultModel, misconf: MisconfModel) -> Finding:
        cause = misconf.cause or CauseModel()
        start = cause.start_line if cause.start_line and cause.start_line > 0 else None
        end = cause.end_line if start and cause.end_line and cause.end_line >= start else None
        path = None if self.resource else relative_path(result.target)
        return Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id=misconf.id,
            severity=self.severity(misconf.severity),
            title=f"{misconf.id} - {misconf.title}",
            message=misconf.message or misconf.description,
            location=Location(path=path, start_line=start, end_line=end, resource=self.resource),
            scanner="trivy",
            anchor=f"{misconf.id}|{misconf.message}",
            remediation=misconf.resolution,
            references=tuple(misconf.references or ()),
        )

    def secret(self, result: ResultModel, secret: SecretModel) -> Finding:
        start = secret.start_line if secret.start_line and secret.start_line > 0 else None
        return Finding(
            kind=FindingKind.SECRET,
            rule_id=secret.rule_id,
            severity=self.severity(secret.severity),
            title=f"Secret detected in {result.target} - {secret.title}",
            message=secret.title,
            location=Location(path=relative_path(result.target), start_line=start),
            scanner="trivy",
            anchor=f"{secret.rule_id}|{secret.match}",
            evidence=secret.match or None,
        )

    def license(self, license_: LicenseModel) -> Finding:
        return Finding(
            kind=FindingKind.LICENSE,
            rule_id=f"license:{license_.name}",
            severity=self.severity(license_.severity),
            title=f"{license_.name} license ({license_.category}) in {license_.pkg_name}",
            message=f"{license_.pkg_name or license_.file_path} is licensed {license_.name}",
            location=Location(path=relative_path(license_.file_path)),
            scanner="trivy",
            anchor=f"{license_.pkg_name}|{license_.file_path}|{license_.name}",
        )


def _kubernetes(resource: ResourceModel) -> KubernetesResource:
    return KubernetesResource(
        api_version="", kind=resource.kind, name=resource.name, namespace=resource.namespace
    )


def _all_findings(report: ReportModel, source: str) -> Iterator[Finding]:
    plain = _Reader(source, None)
    for result in report.results or ():
        yield from plain.findings(result)
    sections = (report.k8s_vulnerabilities, report.k8s_misconfigurations, report.resources)
    for section in sections:
        for resource in section or ():
            reader = _Reader(source, _kubernetes(resource))
            for result in resource.results or ():
                yield from reader.findings(result)


class TrivyImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.TRIVY

    def matches(self, document: object) -> bool:
        if isinstance(document, list):
            return bool(document) and isinstance(document[0], dict) and "Target" in document[0]
        if not isinstance(document, dict):
            return False
        return "SchemaVersion" in document or "ClusterName" in document

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        if isinstance(document, list):  # before schema 2: a bare list of results
            document = {"Results": document}
        report = validate(ReportModel, document, source=source, what=WHAT)
        return ImportedReport(
            format=self.format,
            tool="trivy",
            target=report.cluster_name or report.artifact_name,
            findings=finish(_all_findings(report, source), source=source, limits=limits),
            scanners=("trivy",),
        )
