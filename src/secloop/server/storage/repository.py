"""Every read and write of rows other than the ingest itself (see ``ingest_store``).

Functions take a session inside the caller's transaction and return plain frozen
views, so routers never see ORM objects and a finished transaction leaves nothing
lazily loaded behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, assert_never

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from secloop.core.severity import Severity
from secloop.server.errors import NotFoundError
from secloop.server.lifecycle import (
    RiskAcceptance,
    Status,
    acceptance_expired,
    check_transition,
)
from secloop.server.storage.ingest_store import SYSTEM_USER
from secloop.server.storage.models import (
    ACTIVE_STATUSES,
    SEARCH_SEPARATOR,
    AssetRow,
    CommentRow,
    FindingRow,
    FindingSearchRow,
    FindingSourceRow,
    OccurrenceRow,
    ProjectRow,
    ScanRow,
    StatusChangeRow,
)
from secloop.server.storage.readcache import SlowReadCache


class FindingSort(StrEnum):
    """Orders of the findings list; ties are broken by id so pages are stable."""

    SEVERITY = "severity"
    PRIORITY = "priority"
    DUE = "due"
    NEWEST = "newest"


def _order(sort: FindingSort, rows: Any = FindingRow) -> tuple[Any, ...]:
    """The ORDER BY of ``sort``, on ``FindingRow`` or on the columns of a subquery."""
    match sort:
        case FindingSort.SEVERITY:  # newest first within a severity: index order, reversed
            return (rows.severity.desc(), rows.id.desc())
        case FindingSort.PRIORITY:
            return (rows.priority_level, rows.priority_score.desc(), rows.id)
        case FindingSort.DUE:
            return (rows.due_date.is_(None), rows.due_date, rows.id)
        case FindingSort.NEWEST:
            return (rows.first_seen_at.desc(), rows.id.desc())
        case _:
            assert_never(sort)


def _order_columns(sort: FindingSort) -> tuple[Any, ...]:
    """The columns ``_order(sort)`` reads besides the id."""
    match sort:
        case FindingSort.SEVERITY:
            return (FindingRow.severity,)
        case FindingSort.PRIORITY:
            return (FindingRow.priority_level, FindingRow.priority_score)
        case FindingSort.DUE:
            return (FindingRow.due_date,)
        case FindingSort.NEWEST:
            return (FindingRow.first_seen_at,)
        case _:
            assert_never(sort)


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingFilter:
    project: str | None = None
    asset: str | None = None
    status: Sequence[Status] = ()
    severity: Sequence[Severity] = ()
    kind: str | None = None
    tool: str | None = None
    priority: Sequence[int] = ()  # levels 1..5 (P1..P5)
    kev: bool | None = None
    overdue_on: date | None = None  # only active findings due before this day
    text: str | None = None
    sort: FindingSort = FindingSort.SEVERITY
    limit: int = 50
    offset: int = 0
    project_ids: frozenset[int] | None = None  # the projects the reader may see; None: all


@dataclass(frozen=True, slots=True, kw_only=True)
class NewScan:
    project: str
    asset: str
    asset_kind: str
    source: str
    format: str
    uploaded_by: str


def get_or_create_project(session: Session, name: str, now: datetime) -> ProjectRow:
    row = session.scalar(select(ProjectRow).where(ProjectRow.name == name))
    if row is None:
        row = ProjectRow(name=name, created_at=now)
        session.add(row)
        session.flush()
    return row


def get_or_create_asset(
    session: Session, project: ProjectRow, name: str, kind: str, now: datetime
) -> AssetRow:
    row = session.scalar(
        select(AssetRow).where(AssetRow.project_id == project.id, AssetRow.name == name)
    )
    if row is None:
        row = AssetRow(project_id=project.id, name=name, kind=kind, created_at=now)
        session.add(row)
        session.flush()
    return row


def create_scan(session: Session, new: NewScan, now: datetime) -> ScanRow:
    """A pending scan row, committed before the ingest so its id can be polled."""
    project = get_or_create_project(session, new.project, now)
    asset = get_or_create_asset(session, project, new.asset, new.asset_kind, now)
    scan = ScanRow(
        project_id=project.id,
        asset_id=asset.id,
        source=new.source[:500],
        format=new.format,
        uploaded_by=new.uploaded_by,
        status="pending",
        created_at=now,
    )
    session.add(scan)
    session.flush()
    return scan


def get_scan(session: Session, scan_id: int) -> ScanRow:
    scan = session.get(ScanRow, scan_id)
    if scan is None:
        raise NotFoundError(f"no scan {scan_id}")
    return scan


def mark_scan_failed(session: Session, scan_id: int, error: str, now: datetime) -> None:
    scan = get_scan(session, scan_id)
    scan.status, scan.error, scan.finished_at = "failed", error, now


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectSummary:
    id: int
    name: str
    created_at: datetime
    assets: int
    scans: int
    open_findings: int


def list_projects(
    session: Session, project_ids: frozenset[int] | None = None
) -> list[ProjectSummary]:
    """Every project, or those in ``project_ids``, by name."""
    open_statuses = [s.value for s in (Status.NEW, Status.OPEN, Status.TRIAGED, Status.REOPENED)]
    assets = select(func.count(AssetRow.id)).where(AssetRow.project_id == ProjectRow.id)
    scans = select(func.count(ScanRow.id)).where(ScanRow.project_id == ProjectRow.id)
    findings = select(func.count(FindingRow.id)).where(
        FindingRow.project_id == ProjectRow.id, FindingRow.status.in_(open_statuses)
    )
    query = select(
        ProjectRow,
        assets.scalar_subquery(),
        scans.scalar_subquery(),
        findings.scalar_subquery(),
    ).order_by(ProjectRow.name)
    if project_ids is not None:
        query = query.where(ProjectRow.id.in_(project_ids))
    rows = session.execute(query)
    return [
        ProjectSummary(
            id=p.id, name=p.name, created_at=p.created_at, assets=a, scans=s, open_findings=f
        )
        for p, a, s, f in rows
    ]


def _intel_filters(query: Select[Any], flt: FindingFilter) -> Select[Any]:
    if flt.priority:  # by level, not score range: KEV on the internet is P1 at any score
        query = query.where(FindingRow.priority_level.in_(list(flt.priority)))
    if flt.kev is not None:  # plain ``kev``: the predicate of ix_findings_kev_severity_id
        query = query.where(FindingRow.kev if flt.kev else ~FindingRow.kev)
    if flt.overdue_on is not None:
        query = query.where(_active(), FindingRow.due_date < flt.overdue_on)
    if flt.text:
        pattern = _like_pattern(flt.text)
        # Matches from finding_search (on PostgreSQL through its pg_trgm index). Only a
        # text holding the separator can match across two columns, which is no match:
        # then the columns themselves are checked too.
        candidates = select(FindingSearchRow.finding_id).where(
            FindingSearchRow.text.ilike(pattern, escape="\\")
        )
        query = query.where(FindingRow.id.in_(candidates))
        if SEARCH_SEPARATOR in flt.text:
            query = query.where(or_(*(c.ilike(pattern, escape="\\") for c in _TEXT_COLUMNS)))
    return query


def _active() -> ColumnElement[bool]:
    """``status IN ('new', ...)`` with the values written into the SQL, as in the
    predicate of ``ix_findings_active_due``: bound parameters would hide from
    SQLite (and from a generic PostgreSQL plan) that the partial index applies."""
    return FindingRow.status.in_([literal(s, literal_execute=True) for s in ACTIVE_STATUSES])


def _like_pattern(text: str) -> str:
    """A substring match where the user's ``%`` and ``_`` are literal characters."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_TEXT_COLUMNS = (
    FindingRow.title, FindingRow.rule_id, FindingRow.location, FindingRow.package,
    FindingRow.cve_id,
)  # fmt: skip


#: Totals of the findings list that were slow to count, per database and filter. The
#: bar is lower than the overview's: a page's own query is cheap (an index walk), so a
#: count of 100 ms is most of the page's cost (the 285,000 overdue findings of the
#: 1M-row benchmark count in 90-150 ms). Small deployments count in milliseconds and are
#: never served a reused total.
count_cache = SlowReadCache(slow_seconds=0.1)


def list_findings(session: Session, flt: FindingFilter) -> tuple[int, list[FindingRow]]:
    """Findings matching the filter in the order asked for, with the total for paging.

    The page comes first: when it is not full, it ends the matches and is the total's
    last part, so a selective filter (text search) needs no count. A count that
    took long (a quarter million overdue findings) is reused for a few seconds, as
    the overview's counts are (:mod:`secloop.server.storage.readcache`)."""
    query = _filtered(session, flt)
    if query is None:
        return 0, []
    rows = _page(session, query, flt)
    if len(rows) < flt.limit and (rows or flt.offset == 0):
        return flt.offset + len(rows), rows
    # Keyed by the database too, and by the filter without its page and order.
    key = (
        str(session.get_bind().engine.url),
        replace(flt, sort=FindingSort.SEVERITY, limit=0, offset=0),
    )
    total = count_cache.get(
        key, lambda: session.scalar(select(func.count()).select_from(query.subquery())) or 0
    )
    return total, rows


def first_findings(session: Session, flt: FindingFilter) -> list[FindingRow]:
    """The page ``list_findings`` returns, without counting every match (the overview's
    top findings: the count of 700k open findings would cost more than the page)."""
    query = _filtered(session, flt)
    return [] if query is None else _page(session, query, flt)


def _page(session: Session, query: Select[Any], flt: FindingFilter) -> list[FindingRow]:
    if flt.overdue_on is not None:
        if flt.priority and flt.sort is FindingSort.SEVERITY:
            return _page_per_level(session, query, flt)
        return _page_of_candidates(session, query, flt)
    page = query.order_by(*_order(flt.sort)).limit(flt.limit).offset(flt.offset)
    return list(session.scalars(page))


def _page_per_level(session: Session, query: Select[Any], flt: FindingFilter) -> list[FindingRow]:
    """Overdue findings of some priority levels, most severe first: each level's first
    ``offset + limit`` ids, merged.

    Per level, ``ix_findings_active_priority_severity`` (level, severity, id) is already
    in the page's order: a level's first ids are read off the index (due date in the
    index too), and the merge orders a few hundred ids, not the ~300,000 candidates of
    "P1+P2 overdue" in a million findings (PostgreSQL 15 does not merge the ranges of
    ``priority_level IN (1, 2)`` in order by itself).
    """
    depth = flt.offset + flt.limit
    branches = [
        query.where(FindingRow.priority_level == level)
        .with_only_columns(FindingRow.id, FindingRow.severity)
        .order_by(*_order(flt.sort))
        .limit(depth)
        .subquery(f"level_{level}")
        for level in sorted(set(flt.priority))
    ]
    # Each branch is wrapped: SQLite takes no ORDER BY or LIMIT in a UNION's members.
    merged = union_all(*(select(b.c.id, b.c.severity) for b in branches)).subquery("levels")
    page = (
        select(merged.c.id)
        .order_by(*_order(flt.sort, merged.c))
        .limit(flt.limit)
        .offset(flt.offset)
    )
    return _rows_by_id(session, list(session.scalars(page)))


def _rows_by_id(session: Session, ids: list[int]) -> list[FindingRow]:
    """The rows of ``ids``, in that order."""
    if not ids:
        return []
    found = session.scalars(select(FindingRow).where(FindingRow.id.in_(ids)))
    rows = {row.id: row for row in found}
    return [rows[i] for i in ids]


def _page_of_candidates(
    session: Session, query: Select[Any], flt: FindingFilter
) -> list[FindingRow]:
    """The page out of the whole candidate set: ids (and the columns the order reads)
    of every match, then the order, then the page's rows by id.

    For the overdue list. Left to itself PostgreSQL may walk the (severity, id) index
    backwards, expecting overdue rows to come soon; when they do not (P1+P2 findings
    are mostly of low severity) it reads most of the table. ``OFFSET 0`` keeps the
    candidates a separate subquery (PostgreSQL does not merge a subquery with an
    OFFSET into the outer query), planned on its own: ``ix_findings_active_due``
    alone, the overdue range read without the table, so the cost follows the number
    overdue, not the size of the table.
    """
    candidates = (
        query.with_only_columns(FindingRow.id, *_order_columns(flt.sort))
        .offset(0)
        .subquery("candidates")
    )
    page = (
        select(candidates.c.id)
        .order_by(*_order(flt.sort, candidates.c))
        .limit(flt.limit)
        .offset(flt.offset)
    )
    return _rows_by_id(session, list(session.scalars(page)))


def _filtered(session: Session, flt: FindingFilter) -> Select[Any] | None:
    """The findings query for ``flt``; None when a named project or asset does not exist."""
    query = select(FindingRow)
    # Names become ids first: with ``project_id = 7`` in the query (not a join on the
    # name) PostgreSQL plans with the per-project indexes instead of scanning the
    # whole table in severity order and discarding other projects' rows.
    if flt.project is not None:
        project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.name == flt.project))
        if project_id is None:
            return None
        query = query.where(FindingRow.project_id == project_id)
    if flt.asset is not None:
        asset_ids = list(session.scalars(select(AssetRow.id).where(AssetRow.name == flt.asset)))
        if not asset_ids:
            return None
        query = query.where(FindingRow.asset_id.in_(asset_ids))
    if flt.project_ids is not None:
        query = query.where(FindingRow.project_id.in_(flt.project_ids))
    if flt.status:
        query = query.where(FindingRow.status.in_([s.value for s in flt.status]))
    if flt.severity:
        query = query.where(FindingRow.severity.in_([int(s) for s in flt.severity]))
    if flt.kind is not None:
        query = query.where(FindingRow.kind == flt.kind)
    if flt.tool is not None:
        # Correlated on the project too: with ``project_id = 7`` PostgreSQL then reads
        # one range of ix_finding_sources_tool_project_finding, not the tool's every row.
        reported = select(FindingSourceRow.id).where(
            FindingSourceRow.tool == flt.tool,
            FindingSourceRow.project_id == FindingRow.project_id,
            FindingSourceRow.finding_id == FindingRow.id,
        )
        query = query.where(reported.exists())
    return _intel_filters(query, flt)


def get_finding(session: Session, finding_id: int) -> FindingRow:
    row = session.get(FindingRow, finding_id)
    if row is None:
        raise NotFoundError(f"no finding {finding_id}")
    return row


def finding_sources(session: Session, finding_id: int) -> list[FindingSourceRow]:
    query = select(FindingSourceRow).where(FindingSourceRow.finding_id == finding_id)
    return list(session.scalars(query.order_by(FindingSourceRow.id)))


def finding_occurrences(session: Session, finding_id: int, limit: int = 100) -> list[OccurrenceRow]:
    query = select(OccurrenceRow).where(OccurrenceRow.finding_id == finding_id)
    return list(session.scalars(query.order_by(OccurrenceRow.id.desc()).limit(limit)))


def finding_history(session: Session, finding_id: int) -> list[StatusChangeRow]:
    get_finding(session, finding_id)
    query = select(StatusChangeRow).where(StatusChangeRow.finding_id == finding_id)
    return list(session.scalars(query.order_by(StatusChangeRow.id)))


def finding_comments(session: Session, finding_id: int) -> list[CommentRow]:
    query = select(CommentRow).where(CommentRow.finding_id == finding_id)
    return list(session.scalars(query.order_by(CommentRow.id)))


def change_status(
    session: Session,
    finding_id: int,
    new: Status,
    *,
    user: str,
    reason: str,
    acceptance: RiskAcceptance | None,
    now: datetime,
) -> FindingRow:
    """A user's status change, validated by the lifecycle and recorded in the audit trail."""
    row = get_finding(session, finding_id)
    old = Status(row.status)
    check_transition(old, new, acceptance=acceptance, today=now.date())
    row.status = new.value
    row.updated_at = now
    row.fixed_at = now if new is Status.FIXED else None  # time-to-fix counts the last fix
    if new is Status.RISK_ACCEPTED and acceptance is not None:
        row.risk_justification = acceptance.justification
        row.risk_owner = acceptance.owner
        row.risk_expires = acceptance.expires
        reason = reason or acceptance.justification
    session.add(
        StatusChangeRow(
            finding_id=row.id, user=user, at=now, old_status=old.value, new_status=new.value,
            reason=reason,
        )
    )  # fmt: skip
    return row


def add_comment(
    session: Session, finding_id: int, *, user: str, body: str, now: datetime
) -> CommentRow:
    get_finding(session, finding_id)
    comment = CommentRow(finding_id=finding_id, user=user, at=now, body=body)
    session.add(comment)
    session.flush()
    return comment


def reopen_expired_acceptances(session: Session, today: date, now: datetime) -> int:
    """Risk acceptances past their expiry reopen their finding; returns how many."""
    query = select(FindingRow).where(
        FindingRow.status == Status.RISK_ACCEPTED.value, FindingRow.risk_expires < today
    )
    count = 0
    for row in session.scalars(query):
        if not acceptance_expired(row.risk_expires, today):
            continue
        session.add(
            StatusChangeRow(
                finding_id=row.id, user=SYSTEM_USER, at=now,
                old_status=row.status, new_status=Status.REOPENED.value,
                reason=f"risk acceptance expired on {row.risk_expires}",
            )
        )  # fmt: skip
        row.status, row.updated_at, row.fixed_at = Status.REOPENED.value, now, None
        count += 1
    return count


def delete_project(session: Session, project_id: int) -> None:
    """Delete a project with everything in it (assets, scans, findings, memberships)."""
    row = session.get(ProjectRow, project_id)
    if row is None:
        raise NotFoundError(f"no project {project_id}")
    session.delete(row)
    session.flush()
