"""The versioned wire model of secloop's JSON report (schema version 1).

This module is the trust boundary for JSON reports read back in (a ``--baseline``,
an upload to the server): pydantic models with ``extra="forbid"`` parse the text and
``to_domain`` turns them into core values. Writing goes the other way through
:func:`secloop.output.json_format.result_to_document`. The JSON Schema published in
docs/schema/ is generated from these models (scripts/json_schema.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secloop.core.exposure import Exposure, WorkloadExposure
from secloop.core.finding import (
    BaselineState,
    Finding,
    FindingKind,
    RelatedFinding,
    SecretVerification,
    Suppression,
    SuppressionKind,
    VerificationStatus,
    VulnerabilityDetail,
)
from secloop.core.location import KubernetesResource, LayerRef, Location
from secloop.core.package import Package, PackageLocation
from secloop.core.result import (
    Coverage,
    Failed,
    OperatingSystem,
    Scanned,
    ScanResult,
    Skipped,
    SkipReason,
)
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind

SCHEMA_VERSION = "1"

SeverityName = Literal["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerModel(_Model):
    diff_id: str
    index: int
    created_by: str | None = None

    def to_domain(self) -> LayerRef:
        return LayerRef(diff_id=self.diff_id, index=self.index, created_by=self.created_by)


class ResourceModel(_Model):
    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    def to_domain(self) -> KubernetesResource:
        return KubernetesResource(
            api_version=self.api_version, kind=self.kind, name=self.name, namespace=self.namespace
        )


class LocationModel(_Model):
    path: str | None = None
    start_line: int | None = Field(default=None, ge=1)
    end_line: int | None = Field(default=None, ge=1)
    start_column: int | None = Field(default=None, ge=1)
    end_column: int | None = Field(default=None, ge=1)
    layer: LayerModel | None = None
    resource: ResourceModel | None = None

    def to_domain(self) -> Location:
        return Location(
            path=self.path,
            start_line=self.start_line,
            end_line=self.end_line,
            start_column=self.start_column,
            end_column=self.end_column,
            layer=self.layer.to_domain() if self.layer else None,
            resource=self.resource.to_domain() if self.resource else None,
        )


class PackageLocationModel(_Model):
    path: str
    line: int | None = Field(default=None, ge=1)
    layer: LayerModel | None = None

    def to_domain(self) -> PackageLocation:
        return PackageLocation(
            path=self.path, line=self.line, layer=self.layer.to_domain() if self.layer else None
        )


class PackageModel(_Model):
    name: str
    version: str
    ecosystem: str
    purl: str
    source_name: str | None = None
    locations: list[PackageLocationModel] = []
    license: str | None = None
    direct: bool | None = None
    dev: bool = False
    depends_on: list[str] = []  # purls of what this package requires, per its lockfile

    def to_domain(self) -> Package:
        return Package(
            name=self.name,
            version=self.version,
            ecosystem=self.ecosystem,
            purl=self.purl,
            source_name=self.source_name,
            locations=tuple(loc.to_domain() for loc in self.locations),
            license=self.license,
            direct=self.direct,
            dev=self.dev,
            depends_on=tuple(self.depends_on),
        )


class SuppressionModel(_Model):
    kind: SuppressionKind
    reason: str = Field(min_length=1)
    source: str
    expires: date | None = None

    def to_domain(self) -> Suppression:
        return Suppression(
            kind=self.kind, reason=self.reason, source=self.source, expires=self.expires
        )


class VerificationModel(_Model):
    status: VerificationStatus
    verifier: str
    reason: str = ""

    def to_domain(self) -> SecretVerification:
        return SecretVerification(status=self.status, verifier=self.verifier, reason=self.reason)


class VulnerabilityModel(_Model):
    advisory_id: str
    aliases: list[str] = []
    installed_version: str
    fixed_versions: list[str] = []
    cvss_vectors: list[str] = []

    def to_domain(self) -> VulnerabilityDetail:
        return VulnerabilityDetail(
            advisory_id=self.advisory_id,
            aliases=tuple(self.aliases),
            installed_version=self.installed_version,
            fixed_versions=tuple(self.fixed_versions),
            cvss_vectors=tuple(self.cvss_vectors),
        )


class ExploitModel(_Model):
    """KEV/EPSS as the report's writer knew them. Read and checked, then left out of
    the domain value: it is derived from the reader's own feeds (the server's KEV/EPSS
    tables, the CLI's cache), never trusted from a report."""

    kev: bool
    kev_cve: str | None = None
    kev_date_added: date | None = None
    kev_due_date: date | None = None
    kev_ransomware: bool | None = None
    epss: float | None = Field(default=None, ge=0.0, le=1.0)
    epss_percentile: float | None = Field(default=None, ge=0.0, le=1.0)
    epss_cve: str | None = None


class RelatedModel(_Model):
    """A finding of the same report with the same root cause and subject (ADR 6)."""

    fingerprint: str
    rule_id: str
    location: str
    root_cause: RootCause

    def to_domain(self) -> RelatedFinding:
        return RelatedFinding(
            fingerprint=self.fingerprint,
            rule_id=self.rule_id,
            location=self.location,
            root_cause=self.root_cause,
        )


class FindingModel(_Model):
    kind: FindingKind
    rule_id: str
    severity: SeverityName
    title: str
    message: str
    location: LocationModel = LocationModel()
    scanner: str
    anchor: str = ""
    evidence: str | None = None
    remediation: str | None = None
    references: list[str] = []
    frameworks: dict[str, list[str]] = {}
    package: PackageModel | None = None
    vulnerability: VulnerabilityModel | None = None
    fingerprint: str
    suppression: SuppressionModel | None = None
    baseline_state: BaselineState | None = None
    verification: VerificationModel | None = None
    exploit: ExploitModel | None = None
    related: list[RelatedModel] = []
    image: str | None = None

    def to_domain(self) -> Finding:
        return Finding(
            kind=self.kind,
            rule_id=self.rule_id,
            severity=Severity[self.severity],
            title=self.title,
            message=self.message,
            location=self.location.to_domain(),
            scanner=self.scanner,
            anchor=self.anchor,
            evidence=self.evidence,
            remediation=self.remediation,
            references=tuple(self.references),
            frameworks={k: tuple(v) for k, v in self.frameworks.items()},
            package=self.package.to_domain() if self.package else None,
            vulnerability=self.vulnerability.to_domain() if self.vulnerability else None,
            fingerprint=self.fingerprint,
            suppression=self.suppression.to_domain() if self.suppression else None,
            baseline_state=self.baseline_state,
            verification=self.verification.to_domain() if self.verification else None,
            related=tuple(link.to_domain() for link in self.related),
            image=self.image,
        )


class RuleModel(_Model):
    id: str
    kind: FindingKind
    title: str
    severity: SeverityName
    description: str = ""
    remediation: str = ""
    references: list[str] = []
    peers: dict[str, str] = {}
    frameworks: dict[str, list[str]] = {}
    help_uri: str | None = None
    tags: list[str] = []
    root_cause: RootCause | None = None

    def to_domain(self) -> Rule:
        return Rule(
            id=self.id,
            kind=self.kind,
            title=self.title,
            severity=Severity[self.severity],
            description=self.description,
            remediation=self.remediation,
            references=tuple(self.references),
            peers=dict(self.peers),
            frameworks={k: tuple(v) for k, v in self.frameworks.items()},
            help_uri=self.help_uri,
            tags=tuple(self.tags),
            root_cause=self.root_cause,
        )


class CoverageModel(_Model):
    path: str
    status: Literal["scanned", "skipped", "failed"]
    by: list[str] = []
    reason: str | None = None
    detail: str = ""

    @model_validator(mode="after")
    def _reason_fits_status(self) -> CoverageModel:
        if self.status == "skipped" and self.reason not in {r.value for r in SkipReason}:
            choices = ", ".join(r.value for r in SkipReason)
            raise ValueError(f"a skipped input needs a reason among {choices}")
        if self.status == "failed" and not self.reason:
            raise ValueError("a failed input needs a reason")
        return self

    def to_domain(self) -> Coverage:
        if self.status == "scanned":
            return Scanned(path=self.path, by=tuple(self.by))
        if self.status == "skipped":
            return Skipped(path=self.path, reason=SkipReason(self.reason or ""), detail=self.detail)
        return Failed(path=self.path, reason=self.reason or "", by=self.by[0] if self.by else "")


class TargetModel(_Model):
    kind: TargetKind
    name: str
    digest: str | None = None


class OperatingSystemModel(_Model):
    family: str
    name: str
    version: str


class SummaryModel(_Model):
    """Derived counts, written for readers of the file; ignored when read back."""

    total: int
    active: int
    suppressed: int
    unchanged: int
    by_severity: dict[SeverityName, int]
    scanned: int
    skipped: int
    failed: int


class WorkloadModel(_Model):
    """A workload's exposure derived from the scan's manifests (core.exposure)."""

    resource: ResourceModel
    images: list[str] = []
    exposure: Exposure
    paths: list[str] = []

    @model_validator(mode="after")
    def _paths_fit_exposure(self) -> WorkloadModel:
        self.to_domain()  # a reachable level needs paths, no other has any: the domain says
        return self

    def to_domain(self) -> WorkloadExposure:
        return WorkloadExposure(
            resource=self.resource.to_domain(),
            images=tuple(self.images),
            level=self.exposure,
            paths=tuple(self.paths),
        )


class ScanResultModel(_Model):
    schema_version: Literal["1"]
    tool: dict[str, str]
    target: TargetModel
    started_at: datetime
    finished_at: datetime
    scanners: list[str] = []
    summary: SummaryModel | None = None
    findings: list[FindingModel] = []
    rules: dict[str, RuleModel] = {}
    packages: list[PackageModel] = []
    operating_system: OperatingSystemModel | None = None
    coverage: list[CoverageModel] = []
    files_without_scanner: int = 0
    timings: dict[str, float] = {}
    versions: dict[str, str] = {}
    warnings: list[str] = []
    workloads: list[WorkloadModel] = []

    def to_domain(self) -> ScanResult:
        os_model = self.operating_system
        return ScanResult(
            target=Target(kind=self.target.kind, name=self.target.name, digest=self.target.digest),
            started_at=self.started_at,
            finished_at=self.finished_at,
            tool_version=self.tool.get("version", ""),
            scanners=tuple(self.scanners),
            findings=tuple(f.to_domain() for f in self.findings),
            rules={rule_id: rule.to_domain() for rule_id, rule in self.rules.items()},
            packages=tuple(p.to_domain() for p in self.packages),
            operating_system=OperatingSystem(
                family=os_model.family, name=os_model.name, version=os_model.version
            )
            if os_model
            else None,
            coverage=tuple(c.to_domain() for c in self.coverage),
            files_without_scanner=self.files_without_scanner,
            timings=dict(self.timings),
            versions=dict(self.versions),
            warnings=tuple(self.warnings),
            workloads=tuple(w.to_domain() for w in self.workloads),
        )
