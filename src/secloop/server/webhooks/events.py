"""Webhook events read from the database: new criticals, SLA breaches, status changes.

Each event is one JSON object per project: its type, the project, when, a link and
up to ``MAX_FINDINGS`` finding summaries (``finding_count`` tells the full number).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from secloop.core.severity import Severity
from secloop.server.lifecycle import ACTIVE
from secloop.server.storage.models import FindingRow, ProjectRow, ScanRow, StatusChangeRow
from secloop.server.webhooks.config import EventType

MAX_FINDINGS = 100
#: Status-change rows read per sweep; the next sweep continues from the cursor.
STATUS_BATCH = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    type: EventType
    project: str
    delivery_id: str
    body: str  # the JSON payload, signed as is


def _summary(row: FindingRow, base: str) -> dict[str, object]:
    return {
        "id": row.id,
        "title": row.title,
        "rule_id": row.rule_id,
        "severity": Severity(row.severity).name.lower(),
        "status": row.status,
        "location": row.location,
        "package": row.package,
        "cve": row.cve_id,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "link": f"{base}/findings/{row.id}",
    }


def _event(
    kind: EventType,
    project: str,
    rows: list[FindingRow],
    *,
    base: str,
    now: datetime,
    extra: dict[str, object] | None = None,
) -> Event:
    delivery_id = str(uuid.uuid4())
    payload = {
        "event": kind.value,
        "delivery_id": delivery_id,
        "occurred_at": now.isoformat(),
        "project": project,
        "link": f"{base}/projects/{quote(project, safe='')}",
        "finding_count": len(rows),
        "findings": [_summary(r, base) for r in rows[:MAX_FINDINGS]],
        **(extra or {}),
    }
    return Event(type=kind, project=project, delivery_id=delivery_id, body=json.dumps(payload))


def new_criticals(session: Session, scan_id: int, *, base: str, now: datetime) -> Event | None:
    """Critical findings first seen by scan ``scan_id`` (None when there are none)."""
    scan = session.get(ScanRow, scan_id)
    if scan is None or scan.status != "done":
        return None
    rows = list(
        session.scalars(
            select(FindingRow)
            .where(
                FindingRow.last_scan_id == scan_id,
                FindingRow.first_seen_at == FindingRow.last_seen_at,
                FindingRow.severity == int(Severity.CRITICAL),
                FindingRow.status.in_(list(ACTIVE)),
            )
            .order_by(FindingRow.id)
        )
    )
    if not rows:
        return None
    project = session.get(ProjectRow, scan.project_id)
    name = project.name if project is not None else str(scan.project_id)
    return _event(
        EventType.NEW_CRITICAL, name, rows, base=base, now=now, extra={"scan_id": scan_id}
    )


def _by_project(session: Session, rows: Iterable[FindingRow]) -> dict[str, list[FindingRow]]:
    names = dict(session.execute(select(ProjectRow.id, ProjectRow.name)).all())
    grouped: dict[str, list[FindingRow]] = defaultdict(list)
    for row in rows:
        grouped[names.get(row.project_id, str(row.project_id))].append(row)
    return grouped


def overdue(session: Session, today: date) -> list[FindingRow]:
    """Active findings whose due date has passed."""
    return list(
        session.scalars(
            select(FindingRow)
            .where(FindingRow.due_date < today, FindingRow.status.in_(list(ACTIVE)))
            .order_by(FindingRow.id)
        )
    )


def sla_breaches(
    session: Session, rows: list[FindingRow], *, base: str, now: datetime
) -> Iterator[Event]:
    for project, found in sorted(_by_project(session, rows).items()):
        yield _event(EventType.SLA_BREACH, project, found, base=base, now=now)


def status_changes(
    session: Session, after_id: int
) -> tuple[list[tuple[StatusChangeRow, FindingRow]], int]:
    """Changes of an existing finding's status after row ``after_id``; the new cursor."""
    pairs = [
        (change, finding)
        for change, finding in session.execute(
            select(StatusChangeRow, FindingRow)
            .join(FindingRow, FindingRow.id == StatusChangeRow.finding_id)
            .where(StatusChangeRow.id > after_id)
            .order_by(StatusChangeRow.id)
            .limit(STATUS_BATCH)
        )
    ]
    cursor = pairs[-1][0].id if pairs else after_id
    # A row without an old status records a finding's creation, not a change.
    return [(c, f) for c, f in pairs if c.old_status is not None], cursor


def last_status_change(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.max(StatusChangeRow.id))) or 0)


def status_change_events(
    session: Session,
    pairs: list[tuple[StatusChangeRow, FindingRow]],
    *,
    base: str,
    now: datetime,
) -> Iterator[Event]:
    changes = {f.id: c for c, f in pairs}
    for project, rows in sorted(_by_project(session, (f for _c, f in pairs)).items()):
        unique = list({row.id: row for row in rows}.values())
        detail = [
            {
                "finding_id": row.id,
                "old_status": changes[row.id].old_status,
                "new_status": changes[row.id].new_status,
                "by": changes[row.id].user,
                "reason": changes[row.id].reason,
            }
            for row in unique[:MAX_FINDINGS]
        ]
        yield _event(
            EventType.STATUS_CHANGE, project, unique, base=base, now=now,
            extra={"changes": detail},
        )  # fmt: skip
