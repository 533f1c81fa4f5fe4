"""What each dashboard page shows, read in one session and returned as plain values.

Pages reuse the API's read functions (``repository``, ``metrics``) so the dashboard
and the API can never disagree on a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secloop.core.severity import Severity
from secloop.server.dashboard.charts import LineChart, line_chart
from secloop.server.lifecycle import ACTIVE, Status
from secloop.server.sla import is_overdue
from secloop.server.storage import exposure_store, links, metrics, prioritise, repository
from secloop.server.storage.intel_store import feed_status
from secloop.server.storage.models import AssetRow, FindingRow, ProjectRow
from secloop.server.storage.readcache import overview_cache
from secloop.server.storage.repository import FindingFilter, FindingSort

__all__ = ["SEVERITIES", "finding_page", "overview_page", "project_page", "row_view"]

SEVERITIES = tuple(sorted(Severity, reverse=True))
TOP_FINDINGS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class RowView:
    """One finding as a table row."""

    id: int
    title: str
    severity: str
    status: str
    priority: str
    priority_score: int
    explanation: str
    location: str
    project: str
    due: str
    overdue: bool
    kev: bool


def row_view(row: FindingRow, project: str, today: date) -> RowView:
    return RowView(
        id=row.id, title=row.title, severity=Severity(row.severity).name,
        status=row.status, priority=f"P{row.priority_level}", priority_score=row.priority_score,
        explanation=row.priority_reason, location=row.location, project=project,
        due=row.due_date.isoformat() if row.due_date else "",
        overdue=is_overdue(Status(row.status), row.due_date, today), kev=row.kev,
    )  # fmt: skip


def _trend(
    session: Session, project: str | None, project_ids: frozenset[int] | None = None
) -> LineChart:
    points = metrics.debt_trend(session, project, project_ids)
    return line_chart([(p.at, p.open) for p in points])


def _project_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(ProjectRow.id, ProjectRow.name)).all())


def overview_page(
    session: Session, today: date, project_ids: frozenset[int] | None = None
) -> dict[str, Any]:
    """The overview of every project, or of those in ``project_ids`` (what the reader sees)."""
    # Keyed by the database too: one process may serve (or test) several.
    key = (str(session.get_bind().engine.url), today, project_ids)
    projects = overview_cache.get(
        ("overview", *key), lambda: metrics.overview(session, today, project_ids=project_ids)
    )
    totals = {s: sum(p.open_by_severity[s] for p in projects) for s in SEVERITIES}
    flt = FindingFilter(
        status=tuple(ACTIVE), sort=FindingSort.PRIORITY, limit=TOP_FINDINGS,
        project_ids=project_ids,
    )  # fmt: skip
    top = repository.first_findings(session, flt)
    names = _project_names(session)
    return {
        "projects": projects,
        "totals": totals,
        "open_total": sum(totals.values()),
        "overdue_total": sum(p.overdue for p in projects),
        "kev_total": sum(p.kev for p in projects),
        "trend": overview_cache.get(("trend", *key), lambda: _trend(session, None, project_ids)),
        "top": [row_view(r, names.get(r.project_id, ""), today) for r in top],
        "feeds": feed_status(session),
    }


def project_page(session: Session, name: str, flt: FindingFilter, today: date) -> dict[str, Any]:
    project = metrics.project_by_name(session, name)
    summary = next(iter(metrics.overview(session, today, name)), None)
    total, rows = repository.list_findings(session, flt)
    return {
        "project": project.name,
        "summary": summary,
        "total": total,
        "rows": [row_view(r, project.name, today) for r in rows],
        "sla": prioritise.policy_of(project),
        "time_to_fix": metrics.time_to_fix(session, name).get(name, {}),
        "assets": metrics.list_assets(session, name),
        "workloads": exposure_store.project_workloads(session, project.id),
        "trend": _trend(session, name),
    }


def finding_page(session: Session, finding_id: int, today: date) -> dict[str, Any]:
    row = repository.get_finding(session, finding_id)
    project = session.get(ProjectRow, row.project_id)
    asset = session.get(AssetRow, row.asset_id)
    return {
        "f": row,
        "view": row_view(row, project.name if project else "", today),
        "asset": asset,
        "sources": repository.finding_sources(session, finding_id),
        "linked": links.finding_links(session, finding_id),
        "occurrences": repository.finding_occurrences(session, finding_id),
        "history": repository.finding_history(session, finding_id),
        "comments": repository.finding_comments(session, finding_id),
        "statuses": [s for s in Status if s not in (Status.NEW, Status.REOPENED)],
    }
