"""Keeping every finding's priority, KEV/EPSS facts and SLA due date current.

The inputs of a priority live in four places: the finding (severity, CVSS, CVE), its
asset (exposure), its project (SLA policy) and the intelligence tables (KEV, EPSS).
Whenever one changes (an ingest, ``secloop intel update``, an exposure or SLA edit)
:func:`refresh` recomputes the affected findings in one query and writes back only
the rows whose values changed, inside the caller's transaction. Storing the result,
rather than computing it per request, is what lets the API sort and filter a million
findings by priority through an index.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, select, update
from sqlalchemy.orm import Session

from secloop.core.severity import Severity
from secloop.server.priority import Epss, Exposure, Kev, PriorityInput, prioritise
from secloop.server.sla import SlaPolicy, due_date
from secloop.server.storage.models import AssetRow, EpssRow, FindingRow, KevRow, ProjectRow

__all__ = ["SLA_FIELDS", "policy_of", "refresh"]

SLA_FIELDS = ("critical", "high", "medium", "low", "kev")
_STORED = (
    "kev", "epss", "epss_percentile", "priority_score", "priority_level", "priority_reason",
    "due_date",
)  # fmt: skip
_CHUNK = 5_000


def policy_of(project: ProjectRow) -> SlaPolicy:
    return SlaPolicy.from_overrides({f: getattr(project, f"sla_{f}") for f in SLA_FIELDS})


def _query(where: Iterable[ColumnElement[bool]]) -> Any:
    return (
        select(
            FindingRow.id, FindingRow.severity, FindingRow.cvss_score, FindingRow.first_seen_at,
            *(getattr(FindingRow, name) for name in _STORED),
            AssetRow.exposure, FindingRow.project_id,
            KevRow.date_added.label("kev_added"), KevRow.due_date.label("kev_due"),
            EpssRow.probability, EpssRow.percentile,
        )
        .join(AssetRow, AssetRow.id == FindingRow.asset_id)
        .outerjoin(KevRow, KevRow.cve_id == FindingRow.cve_id)
        .outerjoin(EpssRow, EpssRow.cve_id == FindingRow.cve_id)
        .where(*where)
    )  # fmt: skip


def _exposure(value: str) -> Exposure:
    try:
        return Exposure(value)
    except ValueError:
        return Exposure.UNKNOWN


def _computed(row: Any, policy: SlaPolicy) -> dict[str, Any]:
    severity = Severity(row.severity)
    kev = Kev(row.kev_added, row.kev_due) if row.kev_added is not None else None
    epss = Epss(row.probability, row.percentile) if row.probability is not None else None
    item = PriorityInput(
        severity=severity, cvss=row.cvss_score, kev=kev, epss=epss, exposure=_exposure(row.exposure)
    )
    priority = prioritise(item)
    due: date = due_date(row.first_seen_at, severity, policy, row.kev_due, kev is not None)
    return {
        "kev": kev is not None,
        "epss": row.probability,
        "epss_percentile": row.percentile,
        "priority_score": priority.score,
        "priority_level": priority.level,
        "priority_reason": priority.explanation[:500],
        "due_date": due,
    }


def refresh(
    session: Session,
    *,
    project_id: int | None = None,
    asset_id: int | None = None,
    only_missing: bool = False,
    with_cve: bool = False,
) -> int:
    """Recompute priorities and due dates of the selected findings; returns rows changed."""
    where: list[ColumnElement[bool]] = []
    if project_id is not None:
        where.append(FindingRow.project_id == project_id)
    if asset_id is not None:
        where.append(FindingRow.asset_id == asset_id)
    if only_missing:
        where.append(FindingRow.priority_reason == "")
    if with_cve:
        where.append(FindingRow.cve_id.is_not(None))
    policies = {p.id: policy_of(p) for p in session.scalars(select(ProjectRow))}
    changes: list[dict[str, Any]] = []
    for row in session.execute(_query(where)):
        computed = _computed(row, policies[row.project_id])
        if any(computed[name] != getattr(row, name) for name in _STORED):
            changes.append({"row_id": row.id, **computed})
    _write(session, changes)
    return len(changes)


def _write(session: Session, changes: list[dict[str, Any]]) -> None:
    if not changes:
        return
    table: Table = FindingRow.__table__  # type: ignore[assignment]  # declarative tables are Tables
    columns = [name for name in changes[0] if name != "row_id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in columns})
    )
    connection = session.connection()
    for start in range(0, len(changes), _CHUNK):
        connection.execute(statement, changes[start : start + _CHUNK])
