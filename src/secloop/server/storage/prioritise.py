"""Keeping every finding's priority, KEV/EPSS facts and SLA due date current.

The inputs of a priority live in four places: the finding (severity, CVSS, CVE, the
exposure derived from manifests), its asset (exposure set by hand), its project (SLA
policy) and the intelligence tables (KEV, EPSS).
Whenever one changes (an ingest, ``secloop intel update``, an exposure or SLA edit)
:func:`refresh` recomputes the affected findings in one query and writes back only
the rows whose values changed, inside the caller's transaction. Storing the result,
rather than computing it per request, is what lets the API sort and filter a million
findings by priority through an index.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from secloop.core.exposure import Exposure as Reach
from secloop.core.severity import Severity
from secloop.server.priority import Derived, Epss, Exposure, Kev, PriorityInput, prioritise
from secloop.server.sla import SlaPolicy, due_date
from secloop.server.storage.bulk import update_rows
from secloop.server.storage.models import AssetRow, EpssRow, FindingRow, KevRow, ProjectRow

__all__ = ["SLA_FIELDS", "policy_of", "refresh", "score_new"]

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
            FindingRow.derived_exposure, FindingRow.exposure_path,
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


def _derived(level: str | None, path: str | None) -> Derived | None:
    if level is None:
        return None
    try:
        return Derived(Reach(level), path or "")
    except ValueError:
        return None


def _computed(row: Any, policy: SlaPolicy) -> dict[str, Any]:
    """The stored priority fields for one row of :func:`_query` (or one with its names)."""
    severity = Severity(row.severity)
    kev = Kev(row.kev_added, row.kev_due) if row.kev_added is not None else None
    epss = Epss(row.probability, row.percentile) if row.probability is not None else None
    item = PriorityInput(
        severity=severity, cvss=row.cvss_score, kev=kev, epss=epss,
        exposure=_exposure(row.exposure),
        derived=_derived(row.derived_exposure, row.exposure_path),
    )  # fmt: skip
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
    finding_ids: Collection[int] | None = None,
) -> int:
    """Recompute priorities and due dates of the selected findings; returns rows changed.

    ``finding_ids`` narrows the selection to those findings (an ingest passes the ones
    whose severity it raised: nothing else of theirs can have changed).
    """
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
    if finding_ids is None:
        selections: Iterable[list[ColumnElement[bool]]] = [where]
    else:
        ids = sorted(finding_ids)
        selections = (
            [*where, FindingRow.id.in_(ids[i : i + _CHUNK])] for i in range(0, len(ids), _CHUNK)
        )
    changes: list[dict[str, Any]] = []
    for selection in selections:
        for row in session.execute(_query(selection)):
            computed = _computed(row, policies[row.project_id])
            if any(computed[name] != getattr(row, name) for name in _STORED):
                changes.append({"id": row.id, **computed})
    table: Table = FindingRow.__table__  # type: ignore[assignment]  # declarative tables are Tables
    update_rows(session.connection(), table, changes)
    return len(changes)


class _Inputs(NamedTuple):
    """What :func:`_computed` reads, for a finding not yet in the database."""

    severity: int
    cvss_score: float | None
    first_seen_at: datetime
    exposure: str
    kev_added: date | None
    kev_due: date | None
    probability: float | None
    percentile: float | None
    derived_exposure: str | None = None
    exposure_path: str | None = None


def _matching(column: Any, values: list[str], postgres: bool) -> ColumnElement[bool]:
    # PostgreSQL takes the whole list as one array parameter; elsewhere an IN list.
    if postgres:
        return column == any_(bindparam("ids", values, type_=ARRAY(String())))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def _intel(session: Session, cve_ids: Collection[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """KEV and EPSS entries of ``cve_ids`` (bounded IN lists: EPSS has 250,000 rows)."""
    ids = sorted(cve_ids)
    postgres = session.get_bind().dialect.name == "postgresql"
    step = max(len(ids), 1) if postgres else _CHUNK
    kev: dict[str, Any] = {}
    epss: dict[str, Any] = {}
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        kev_rows = select(KevRow.cve_id, KevRow.date_added, KevRow.due_date)
        kev.update((c, (a, d)) for c, a, d in session.execute(
            kev_rows.where(_matching(KevRow.cve_id, chunk, postgres))
        ))  # fmt: skip
        epss_rows = select(EpssRow.cve_id, EpssRow.probability, EpssRow.percentile)
        epss.update((c, (p, q)) for c, p, q in session.execute(
            epss_rows.where(_matching(EpssRow.cve_id, chunk, postgres))
        ))  # fmt: skip
    return kev, epss


def score_new(
    session: Session, rows: Sequence[dict[str, Any]], *, asset_id: int, project_id: int
) -> None:
    """Fill the stored priority fields into finding rows about to be inserted.

    Same computation as :func:`refresh`, done before the INSERT so that new findings
    are written once instead of inserted and then updated (half the ingest's writes).
    """
    if not rows:
        return
    exposure = session.scalar(select(AssetRow.exposure).where(AssetRow.id == asset_id))
    project = session.get(ProjectRow, project_id)
    if exposure is None or project is None:  # pragma: no cover - the scan row refers to both
        raise AssertionError(f"no asset {asset_id} in project {project_id}")
    policy = policy_of(project)
    kev, epss = _intel(session, {r["cve_id"] for r in rows if r["cve_id"] is not None})
    for row in rows:
        cve = row["cve_id"]
        added, due = kev.get(cve, (None, None))
        probability, percentile = epss.get(cve, (None, None))
        inputs = _Inputs(
            row["severity"], row["cvss_score"], row["first_seen_at"], exposure,
            added, due, probability, percentile,
            row.get("derived_exposure"), row.get("exposure_path"),
        )  # fmt: skip
        row.update(_computed(inputs, policy))
