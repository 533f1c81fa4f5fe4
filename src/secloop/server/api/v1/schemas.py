"""Wire schemas of API v1: the trust boundary for request bodies (``extra="forbid"``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from secloop.server.lifecycle import Status
from secloop.server.priority import Exposure

SeverityName = Literal["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
PriorityLevel = Literal["P1", "P2", "P3", "P4", "P5"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScanUploadJson(_In):
    """``POST /api/v1/scans`` with a JSON body: the report inline under ``report``."""

    project: str = Field(min_length=1, max_length=200)
    asset: str | None = Field(default=None, max_length=500)
    asset_kind: str = Field(default="repository", max_length=40)
    format: str | None = None
    full_scan: bool = True
    report: Any


class ScanCounts(_Out):
    total: int
    new: int
    merged: int
    reopened: int
    fixed: int
    suppressed: int


class ScanOut(_Out):
    id: int
    status: Literal["pending", "done", "failed"]
    project_id: int
    asset_id: int
    format: str
    tool: str
    tool_version: str
    target: str
    source: str
    uploaded_by: str
    complete: bool
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    counts: ScanCounts
    coverage: dict[str, int]
    status_url: str


class ProjectOut(_Out):
    id: int
    name: str
    created_at: datetime
    assets: int
    scans: int
    open_findings: int


class FindingOut(_Out):
    id: int
    project_id: int
    asset_id: int
    kind: str
    rule_id: str
    title: str
    severity: SeverityName
    status: Status
    location: str
    package: str | None
    package_version: str | None
    advisory_id: str | None
    fixed_versions: str | None
    suppressed: bool
    fingerprint: str
    first_seen_at: datetime
    last_seen_at: datetime
    cve_id: str | None = None
    cvss_score: float | None = None
    kev: bool = False
    epss: float | None = None
    epss_percentile: float | None = None
    priority: int = Field(description="0-100; higher is more urgent")
    priority_level: PriorityLevel
    priority_explanation: str
    due_date: date | None = None
    overdue: bool = False
    fixed_at: datetime | None = None


class FindingPage(_Out):
    total: int
    page: int
    per_page: int
    items: list[FindingOut]


class SourceOut(_Out):
    tool: str
    scanner: str
    rule_id: str
    fingerprint: str
    reason: str
    present: bool


class OccurrenceOut(_Out):
    scan_id: int
    tool: str
    location: str
    severity: SeverityName
    suppressed: bool
    baseline_state: str | None


class RiskAcceptanceOut(_Out):
    justification: str | None
    owner: str | None
    expires: date | None


class CommentIn(_In):
    body: str = Field(min_length=1, max_length=20_000)


class CommentOut(_Out):
    id: int
    user: str
    at: datetime
    body: str


class LinkedFindingOut(_Out):
    """A finding of the same project with the same root cause (ADR 6)."""

    id: int
    rule_id: str
    title: str
    location: str
    asset: str
    status: Status
    root_cause: str = Field(description="e.g. runs-as-root")
    reason: str = Field(description="why they are linked")


class FindingDetail(FindingOut):
    message: str
    tools: list[str]
    sources: list[SourceOut]
    occurrences: list[OccurrenceOut]
    comments: list[CommentOut]
    risk_acceptance: RiskAcceptanceOut | None
    same_root_cause: list[LinkedFindingOut] = []


class StatusPatch(_In):
    status: Status
    reason: str = Field(default="", max_length=5_000)
    justification: str | None = Field(default=None, max_length=5_000)
    owner: str | None = Field(default=None, max_length=200)
    expires: date | None = None


class HistoryEntry(_Out):
    user: str
    at: datetime
    old_status: Status | None
    new_status: Status
    reason: str


class Health(_Out):
    status: Literal["ok"]
    database: Literal["ok"]
    version: str


class SlaDays(_In):
    """Days allowed to fix, per severity and for KEV findings; null restores the default."""

    critical: int | None = Field(default=None, ge=1, le=3650)
    high: int | None = Field(default=None, ge=1, le=3650)
    medium: int | None = Field(default=None, ge=1, le=3650)
    low: int | None = Field(default=None, ge=1, le=3650)
    kev: int | None = Field(default=None, ge=1, le=3650)


class SlaOut(_Out):
    critical: int
    high: int
    medium: int
    low: int
    kev: int


class ExposurePatch(_In):
    exposure: Exposure


class AssetOut(_Out):
    id: int
    project: str
    name: str
    kind: str
    exposure: Exposure
    open_findings: int


class WorkloadOut(_Out):
    """A Kubernetes workload of the project as its manifests deploy it (ADR 7)."""

    asset: str
    resource: str
    exposure: Literal["internet", "node", "cluster", "none", "unknown"]
    path: str  # the widest path, outside in; empty when nothing reaches it
    more_paths: int  # further paths to the same workload, not listed
    images: list[str]


class FixStatsOut(_Out):
    severity: SeverityName
    fixed: int
    mean_days: float
    median_days: float


class ProjectTimeToFix(_Out):
    project: str
    by_severity: list[FixStatsOut]


class FeedOut(_Out):
    name: str
    source: str
    as_of: datetime | None
    version: str
    fetched_at: datetime
    entries: int


ScopeName = Literal["read", "write", "admin"]
RoleName = Literal["viewer", "maintainer", "admin"]


class TokenIn(_In):
    """``POST /api/v1/tokens``: a new token of the caller's, shown once in the answer."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[ScopeName] = Field(min_length=1)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(_Out):
    id: int
    name: str
    user: str
    hint: str
    scopes: list[ScopeName]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str  # the secret: shown this once, only its SHA-256 is stored


class MemberIn(_In):
    role: RoleName


class MemberOut(_Out):
    user: str
    display_name: str
    role: RoleName
