"""Typed ORM rows (SQLAlchemy 2). Only :mod:`secloop.server.storage` uses them.

A *finding* is one problem in one asset of a project, however many tools and scans
reported it. Its identity lives in ``finding_keys``: the fingerprint of every report
finding merged into it, and its correlation keys (advisory aliases, peer-mapped rule
ids), unique per asset so that concurrent ingests cannot create a duplicate.
``finding_sources`` says which tool reported it under which rule and why it merged;
``occurrences`` is one row per finding per scan; ``status_changes`` is the audit trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

from secloop.server.lifecycle import ACTIVE

# Stable constraint names, so Alembic migrations and the models always agree.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
KEY_LENGTH = 512
# secloop.server.lifecycle.ACTIVE as SQL, sorted: the predicate of the partial indexes
# (migration 0006 spells it as it was then; a test checks they still agree).
ACTIVE_STATUSES = tuple(sorted(status.value for status in ACTIVE))
ACTIVE_PREDICATE = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATUSES))
NAME_LENGTH = 500


# Indexes a migration creates only where the database allows (the pg_trgm index of
# migration 0006): not declared on the models, so schema comparisons leave them out.
OPTIONAL_INDEXES = frozenset({"ix_finding_search_trgm"})


def compared_in_autogenerate(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object``: everything but the optional indexes."""
    return not (type_ == "index" and reflected and name in OPTIONAL_INDEXES)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware on every backend: SQLite stores no zone, so UTC is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # SLA days per severity and for KEV findings; NULL means the default (secloop.server.sla)
    sla_critical: Mapped[int | None] = mapped_column(Integer, default=None)
    sla_high: Mapped[int | None] = mapped_column(Integer, default=None)
    sla_medium: Mapped[int | None] = mapped_column(Integer, default=None)
    sla_low: Mapped[int | None] = mapped_column(Integer, default=None)
    sla_kev: Mapped[int | None] = mapped_column(Integer, default=None)


class AssetRow(Base):
    """What was scanned: a repository, image, cluster, namespace or host."""

    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    exposure: Mapped[str] = mapped_column(String(20), server_default="unknown")


class ScanRow(Base):
    """One upload: who, when, which tool and version, coverage, and what it changed."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(NAME_LENGTH))
    format: Mapped[str] = mapped_column(String(40))
    tool: Mapped[str] = mapped_column(String(100), default="")
    tool_version: Mapped[str] = mapped_column(String(100), default="")
    target: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    uploaded_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    findings_total: Mapped[int] = mapped_column(Integer, default=0)
    findings_new: Mapped[int] = mapped_column(Integer, default=0)
    findings_merged: Mapped[int] = mapped_column(Integer, default=0)
    findings_reopened: Mapped[int] = mapped_column(Integer, default=0)
    findings_fixed: Mapped[int] = mapped_column(Integer, default=0)
    findings_suppressed: Mapped[int] = mapped_column(Integer, default=0)
    coverage_scanned: Mapped[int] = mapped_column(Integer, default=0)
    coverage_skipped: Mapped[int] = mapped_column(Integer, default=0)
    coverage_failed: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (
        # (project_id, status, severity) and (project_id, priority_level, priority_score)
        # are prefixes of ix_findings_overview and ix_findings_project_priority_order:
        # dropped by migration 0006, one index less to write per finding.
        Index("ix_findings_asset_id", "asset_id"),
        Index("ix_findings_cve_id", "cve_id"),
        # The findings list's default order (severity, newest id first) read straight
        # from an index, over everything and per project: a page of 50 out of a million
        # rows without sorting the million (bench/bench_server_pages.py).
        Index("ix_findings_severity_id", "severity", "id"),
        Index("ix_findings_project_severity_id", "project_id", "severity", "id"),
        # KEV findings are a few per cent: a partial index finds them without a scan.
        Index(
            "ix_findings_kev_severity_id",
            "severity",
            "id",
            postgresql_where=text("kev"),
            sqlite_where=text("kev"),
        ),
        # Migration 0005. The overview counts open findings per project, severity,
        # overdue and KEV: every column it reads is in this index, so PostgreSQL
        # answers from the index alone instead of reading ~700k table rows.
        Index("ix_findings_overview", "project_id", "status", "severity", "kev", "due_date"),
        # Migration 0006. The overdue list: only active findings, by due date, so what
        # is overdue is one range of this index, read without visiting the table
        # (repository._page_of_candidates). The predicate is ACTIVE_PREDICATE, spelt as the
        # query spells it.
        # "P1+P2 overdue" most severe first: per level already in the page's order
        # (repository._page_per_level); the due date is in the index (PostgreSQL).
        Index(
            "ix_findings_active_priority_severity",
            "priority_level",
            "severity",
            "id",
            postgresql_include=["due_date", "project_id"],
            postgresql_where=text(ACTIVE_PREDICATE),
            sqlite_where=text(ACTIVE_PREDICATE),
        ),
        Index(
            "ix_findings_active_due",
            "due_date",
            "priority_level",
            "project_id",
            "severity",
            "id",
            postgresql_where=text(ACTIVE_PREDICATE),
            sqlite_where=text(ACTIVE_PREDICATE),
        ),
        # The priority order (level, highest score first, id) read straight from an
        # index, per project and over everything (the overview's top findings).
        Index(
            "ix_findings_project_priority_order",
            "project_id",
            "priority_level",
            column("priority_score").desc(),
            "id",
        ),
        Index(
            "ix_findings_priority_order", "priority_level", column("priority_score").desc(), "id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(1000))
    package: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    package_version: Mapped[str | None] = mapped_column(String(200), default=None)
    advisory_id: Mapped[str | None] = mapped_column(String(100), default=None)
    fixed_versions: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_scan_id: Mapped[int] = mapped_column(Integer)
    risk_justification: Mapped[str | None] = mapped_column(Text, default=None)
    risk_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    risk_expires: Mapped[date | None] = mapped_column(Date, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Prioritisation and SLA (secloop.server.priority, secloop.server.sla), kept current by
    # secloop.server.storage.prioritise after every ingest, intel update or policy change.
    cve_id: Mapped[str | None] = mapped_column(String(40), default=None)
    cvss_score: Mapped[float | None] = mapped_column(Float, default=None)
    kev: Mapped[bool] = mapped_column(Boolean, server_default=false())
    epss: Mapped[float | None] = mapped_column(Float, default=None)
    epss_percentile: Mapped[float | None] = mapped_column(Float, default=None)
    priority_score: Mapped[int] = mapped_column(Integer, server_default="0")
    priority_level: Mapped[int] = mapped_column(Integer, server_default="5")
    priority_reason: Mapped[str] = mapped_column(String(500), server_default="")
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    fixed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Migration 0008. Exposure derived from the project's Kubernetes manifests
    # (secloop.server.storage.exposure_store): a core.exposure level and the path
    # that explains it. NULL: no workload of the project runs this finding.
    derived_exposure: Mapped[str | None] = mapped_column(String(20), default=None)
    exposure_path: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)


class WorkloadRow(Base):
    """A Kubernetes workload of an asset's manifests and how reachable it is (migration 0008).

    Replaced for its asset by every complete secloop scan that ran the kubernetes
    scanner; ``paths`` and ``images`` are newline-separated.
    """

    __tablename__ = "workloads"
    __table_args__ = (UniqueConstraint("asset_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(NAME_LENGTH))  # KubernetesResource.display
    exposure: Mapped[str] = mapped_column(String(20))
    paths: Mapped[str] = mapped_column(Text)
    images: Mapped[str] = mapped_column(Text)


class FindingKeyRow(Base):
    """An identity of a finding within its asset: a fingerprint or a correlation key."""

    __tablename__ = "finding_keys"
    __table_args__ = (UniqueConstraint("asset_id", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(KEY_LENGTH))


class FindingSourceRow(Base):
    """A tool's report of a finding; ``present`` is false once its tool stopped reporting."""

    __tablename__ = "finding_sources"
    __table_args__ = (
        UniqueConstraint("finding_id", "tool", "fingerprint"),
        # The ?tool= filter (migration 0006): a project's findings reported by a tool are
        # one range of this index, so counting them does not hash every finding the
        # tool ever reported in any project.
        Index("ix_finding_sources_tool_project_finding", "tool", "project_id", "finding_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    # The finding's project, copied (a finding never changes project); no foreign key:
    # the finding's own cascades the deletion, and a second check would slow the ingest.
    project_id: Mapped[int] = mapped_column(Integer)
    tool: Mapped[str] = mapped_column(String(100))
    scanner: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    last_scan_id: Mapped[int] = mapped_column(Integer)


class FindingSearchRow(Base):
    """What the findings list's text search reads: a finding's title, rule id,
    location, package and CVE in one string, separated by ``SEARCH_SEPARATOR``.

    Its own table (migration 0006) because those columns never change after the
    finding is created, while a re-import updates every finding row: on PostgreSQL the
    pg_trgm index ``ix_finding_search_trgm`` (created only where the extension may
    be created, so not declared here) is then written once per finding, not once per
    re-import."""

    __tablename__ = "finding_search"

    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)


SEARCH_SEPARATOR = "\x1f"  # the unit separator: in no title, path or package name


class OccurrenceRow(Base):
    __tablename__ = "occurrences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    tool: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(1000))
    severity: Mapped[int] = mapped_column(Integer)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_state: Mapped[str | None] = mapped_column(String(20), default=None)


class StatusChangeRow(Base):
    """The audit trail: every status a finding was given, by whom, when and why."""

    __tablename__ = "status_changes"
    # The overview's debt trend sums status changes per timestamp: read in ``at`` order
    # from the index alone, without sorting the audit trail or visiting its rows.
    __table_args__ = (Index("ix_status_changes_at", "at", "old_status", "new_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    old_status: Mapped[str | None] = mapped_column(String(20), default=None)
    new_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[str] = mapped_column(Text)


class KevRow(Base):
    """One entry of the CISA Known Exploited Vulnerabilities catalogue."""

    __tablename__ = "intel_kev"

    cve_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    date_added: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    vendor: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    ransomware: Mapped[bool] = mapped_column(Boolean, default=False)


class EpssRow(Base):
    """One CVE's EPSS probability and percentile from the daily file."""

    __tablename__ = "intel_epss"

    cve_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    probability: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)


class IntelFeedRow(Base):
    """Where and when a feed was last loaded, and the as-of time it states itself."""

    __tablename__ = "intel_feeds"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    version: Mapped[str] = mapped_column(String(100), default="")
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    entries: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    """A person who logs in to the dashboard and owns API tokens (secloop.server.access)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, PHC string format
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiTokenRow(Base):
    """An API token: only the SHA-256 of the secret is kept, never the secret itself."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(20))  # the token's first characters, for lists
    scopes: Mapped[str] = mapped_column(String(100))  # space-separated, sorted
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class MembershipRow(Base):
    """A user's role in one project: admin, maintainer or viewer."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))


class LoginThrottleRow(Base):
    """Consecutive failed logins per username (known or not) and the lockout they earned."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class FindingSubjectRow(Base):
    """What a finding with a root cause is about (``image:docker.io/library/app:1.0``):
    findings of other rule families with the same subject and cause get linked
    (:mod:`secloop.server.links`, migration 0007)."""

    __tablename__ = "finding_subjects"
    __table_args__ = (
        UniqueConstraint("finding_id", "subject", "root_cause"),
        Index("ix_finding_subjects_project_subject", "project_id", "subject", "root_cause"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(KEY_LENGTH))
    root_cause: Mapped[str] = mapped_column(String(40))
    family: Mapped[str] = mapped_column(String(40))


class FindingLinkRow(Base):
    """One direction of a root-cause link: ``finding_id`` shows ``related_id`` as
    "Same root cause", with the reason (each link is stored both ways)."""

    __tablename__ = "finding_links"
    __table_args__ = (UniqueConstraint("finding_id", "related_id", "root_cause"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    related_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    root_cause: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    # The subject the link was made through; None for one secloop reported (``related``).
    subject: Mapped[str | None] = mapped_column(String(KEY_LENGTH), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
