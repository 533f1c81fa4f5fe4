"""Read models for SLA, metrics and the dashboard: counts, overdue, time to fix, trend.

Aggregations run in SQL where both backends agree (counts grouped by project and
severity); what they do not share (medians, the running sum of the debt trend) is
finished in Python over already-aggregated rows, never over every finding.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from secloop.core.severity import Severity
from secloop.server.errors import NotFoundError
from secloop.server.lifecycle import ACTIVE, Status
from secloop.server.priority import Exposure
from secloop.server.sla import FixStats, SlaPolicy, fix_stats
from secloop.server.storage import prioritise
from secloop.server.storage.models import AssetRow, FindingRow, ProjectRow, StatusChangeRow

__all__ = [
    "AssetView",
    "DebtPoint",
    "ProjectOverview",
    "debt_trend",
    "list_assets",
    "overview",
    "project_by_name",
    "set_exposure",
    "set_sla",
    "time_to_fix",
]

_ACTIVE = [s.value for s in ACTIVE]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectOverview:
    name: str
    open_by_severity: dict[Severity, int]
    overdue: int
    kev: int

    @property
    def open_total(self) -> int:
        return sum(self.open_by_severity.values())


def overview(
    session: Session,
    today: date,
    project: str | None = None,
    project_ids: frozenset[int] | None = None,
) -> list[ProjectOverview]:
    """Open findings by severity, overdue and KEV counts, per project (all, or one).

    The counts group the findings table alone by (project, severity): with every
    column read in ``ix_findings_overview`` PostgreSQL answers from the index, and
    the few project names join in Python (a project without open findings still
    has an entry).
    """
    projects = select(ProjectRow.id, ProjectRow.name).order_by(ProjectRow.name)
    if project is not None:
        projects = projects.where(ProjectRow.name == project)
    if project_ids is not None:
        projects = projects.where(ProjectRow.id.in_(project_ids))
    names: dict[int, str] = dict(session.execute(projects).all())
    if not names:
        return []
    overdue = func.sum(case((FindingRow.due_date < today, 1), else_=0))
    kev_count = func.sum(case((FindingRow.kev, 1), else_=0))
    query = (
        select(FindingRow.project_id, FindingRow.severity, func.count(), overdue, kev_count)
        .where(FindingRow.status.in_(_ACTIVE))
        .group_by(FindingRow.project_id, FindingRow.severity)
    )
    if project is not None or project_ids is not None:
        query = query.where(FindingRow.project_id.in_(list(names)))
    counts = {project_id: dict.fromkeys(Severity, 0) for project_id in names}
    late: dict[int, int] = defaultdict(int)
    kev: dict[int, int] = defaultdict(int)
    for project_id, severity, count, overdue_count, kev_total in session.execute(query):
        counts[project_id][Severity(severity)] += count
        late[project_id] += overdue_count or 0
        kev[project_id] += kev_total or 0
    return [
        ProjectOverview(
            name=name, open_by_severity=counts[project_id], overdue=late[project_id],
            kev=kev[project_id],
        )
        for project_id, name in names.items()
    ]  # fmt: skip


def time_to_fix(
    session: Session, project: str | None = None, project_ids: frozenset[int] | None = None
) -> dict[str, dict[Severity, FixStats]]:
    """Mean and median days from first seen to fixed, per project and severity."""
    query = (
        select(ProjectRow.name, FindingRow.severity, FindingRow.first_seen_at, FindingRow.fixed_at)
        .join(ProjectRow, ProjectRow.id == FindingRow.project_id)
        .where(FindingRow.status == Status.FIXED.value, FindingRow.fixed_at.is_not(None))
    )
    if project is not None:
        query = query.where(ProjectRow.name == project)
    if project_ids is not None:
        query = query.where(ProjectRow.id.in_(project_ids))
    groups: dict[tuple[str, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for name, severity, seen, fixed in session.execute(query):
        if fixed is not None:
            groups[(name, severity)].append((seen, fixed))
    result: dict[str, dict[Severity, FixStats]] = defaultdict(dict)
    for (name, severity), pairs in sorted(groups.items()):
        stats = fix_stats(pairs)
        if stats is not None:
            result[name][Severity(severity)] = stats
    return dict(result)


@dataclass(frozen=True, slots=True)
class DebtPoint:
    at: datetime
    open: int


def debt_trend(
    session: Session, project: str | None = None, project_ids: frozenset[int] | None = None
) -> list[DebtPoint]:
    """Open findings after each change, from the audit trail every ingest writes.

    Every scan records a status change for each finding it opens, reopens or fixes,
    all stamped with the scan's time; summing +1/-1 per timestamp and accumulating
    gives the security debt after each scan (and after each triage decision).
    """
    was_active = StatusChangeRow.old_status.in_(_ACTIVE)
    now_active = StatusChangeRow.new_status.in_(_ACTIVE)
    delta = case(
        (now_active & ((StatusChangeRow.old_status.is_(None)) | ~was_active), 1),
        (~now_active & was_active, -1),
        else_=0,
    )
    query = (
        select(StatusChangeRow.at, func.sum(delta))
        .group_by(StatusChangeRow.at)
        .order_by(StatusChangeRow.at)
    )
    # Every change belongs to a finding (foreign key, cascading delete): over all
    # projects the audit trail alone answers, read in index order (ix_status_changes_at).
    if project is not None or project_ids is not None:
        query = query.join(FindingRow, FindingRow.id == StatusChangeRow.finding_id)
    if project is not None:
        query = query.join(ProjectRow, ProjectRow.id == FindingRow.project_id).where(
            ProjectRow.name == project
        )
    if project_ids is not None:
        query = query.where(FindingRow.project_id.in_(project_ids))
    points: list[DebtPoint] = []
    running = 0
    for at, change in session.execute(query):
        running += int(change or 0)
        points.append(DebtPoint(at, running))
    return points


def project_by_name(session: Session, name: str) -> ProjectRow:
    row = session.scalar(select(ProjectRow).where(ProjectRow.name == name))
    if row is None:
        raise NotFoundError(f"no project {name!r}")
    return row


def set_sla(session: Session, name: str, days: dict[str, int | None]) -> SlaPolicy:
    """Store a project's SLA overrides (None restores a default) and re-date its findings."""
    project = project_by_name(session, name)
    for field in prioritise.SLA_FIELDS:
        if field in days:
            setattr(project, f"sla_{field}", days[field])
    session.flush()
    prioritise.refresh(session, project_id=project.id)
    return prioritise.policy_of(project)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetView:
    id: int
    project: str
    name: str
    kind: str
    exposure: Exposure
    open_findings: int


def list_assets(
    session: Session, project: str | None = None, project_ids: frozenset[int] | None = None
) -> list[AssetView]:
    open_count = select(func.count(FindingRow.id)).where(
        FindingRow.asset_id == AssetRow.id, FindingRow.status.in_(_ACTIVE)
    )
    query = (
        select(AssetRow, ProjectRow.name, open_count.scalar_subquery())
        .join(ProjectRow, ProjectRow.id == AssetRow.project_id)
        .order_by(ProjectRow.name, AssetRow.name)
    )
    if project is not None:
        query = query.where(ProjectRow.name == project)
    if project_ids is not None:
        query = query.where(AssetRow.project_id.in_(project_ids))
    return [
        AssetView(
            id=a.id, project=p, name=a.name, kind=a.kind, exposure=Exposure(a.exposure),
            open_findings=n,
        )
        for a, p, n in session.execute(query)
    ]  # fmt: skip


def asset_project_id(session: Session, asset_id: int) -> int:
    asset = session.get(AssetRow, asset_id)
    if asset is None:
        raise NotFoundError(f"no asset {asset_id}")
    return asset.project_id


def set_exposure(session: Session, asset_id: int, exposure: Exposure) -> int:
    """Change an asset's exposure and re-prioritise its findings; returns rows changed."""
    asset = session.get(AssetRow, asset_id)
    if asset is None:
        raise NotFoundError(f"no asset {asset_id}")
    asset.exposure = exposure.value
    session.flush()
    return prioritise.refresh(session, asset_id=asset_id)
