"""Store root-cause links at ingest and read them for the finding page (ADR 6).

Decided by :mod:`secloop.server.links`; written here, in the ingest's transaction:

1. the report's own links (secloop ``related``; each side lists the other);
2. the subjects of the report's findings (``finding_subjects``): new ones are stored;
   a subject a finding had for a cause it now has another subject for (a workload
   that runs another image now) is stale: it is removed with the links it made;
3. for each subject and cause of the report, every finding of the project with the same
   subject and cause but another rule family is linked with the report's findings;
4. links not stored yet are inserted (one row per direction; a link made through a
   subject records it, so that step 2 can remove it).

Ingests of one project are serialised (``lock_project``), so the existence checks of
2 and 4 cannot race; the unique constraints are the backstop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from secloop.server.correlate import PeerIndex
from secloop.server.ingest.interface import ImportedReport
from secloop.server.links import SubjectKey, report_links, subject_keys, subject_reason
from secloop.server.storage import bulk
from secloop.server.storage.models import (
    AssetRow,
    FindingLinkRow,
    FindingRow,
    FindingSubjectRow,
)

__all__ = ["LinkedFinding", "finding_links", "store_links"]

_CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit

#: (finding id, related finding id, root cause value) -> (reason, subject or None)
_Pairs = dict[tuple[int, int, str], tuple[str, str | None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedFinding:
    """A finding shown under "Same root cause" on another's page."""

    id: int
    rule_id: str
    title: str
    location: str
    asset: str
    status: str
    root_cause: str
    reason: str


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def store_links(
    session: Session,
    *,
    project_id: int,
    report: ImportedReport,
    finding_ids: Sequence[int],
    peers: PeerIndex,
    now: datetime,
) -> int:
    """Steps (1)-(4); ``finding_ids[i]`` is the stored finding of ``report.findings[i]``.
    Returns how many link rows were inserted."""
    pairs: _Pairs = {}
    for link in report_links(report):  # (1)
        # one direction per entry: secloop lists each side on the other, and each
        # reason names the partner it was reported with
        first, second = finding_ids[link.source], finding_ids[link.target]
        if first != second:
            pairs.setdefault((first, second, link.root_cause.value), (link.reason, None))
    keys = subject_keys(report, peers)
    if keys:
        _save_subjects(session, project_id, keys, finding_ids)  # (2)
        _link_subjects(session, project_id, keys, finding_ids, pairs)  # (3)
    return _save_links(session, pairs, now)  # (4)


def _save_subjects(
    session: Session, project_id: int, keys: Iterable[SubjectKey], finding_ids: Sequence[int]
) -> None:
    wanted = {
        (finding_ids[key.index], key.subject, key.root_cause.value): key.family for key in keys
    }
    causes = {(finding, cause) for finding, _, cause in wanted}
    stale: list[tuple[int, int, str, str]] = []  # row id, finding, subject, cause
    ids = sorted({finding for finding, _ in causes})
    for chunk in _chunks(ids):
        stored = session.execute(
            select(
                FindingSubjectRow.id,
                FindingSubjectRow.finding_id,
                FindingSubjectRow.subject,
                FindingSubjectRow.root_cause,
            ).where(FindingSubjectRow.finding_id.in_(chunk))
        )
        for row_id, finding, subject, cause in stored:
            if wanted.pop((finding, subject, cause), None) is None and (finding, cause) in causes:
                stale.append((row_id, finding, subject, cause))
    _drop_stale(session, stale)
    rows = [
        {
            "project_id": project_id,
            "finding_id": finding,
            "subject": subject,
            "root_cause": cause,
            "family": family,
        }
        for (finding, subject, cause), family in sorted(wanted.items())
    ]
    bulk.insert_rows(session.connection(), FindingSubjectRow.__table__, rows)  # type: ignore[arg-type]


def _drop_stale(session: Session, stale: Sequence[tuple[int, int, str, str]]) -> None:
    """Step (2): stale subjects, and the links made through them (either direction)."""
    for chunk in _chunks(stale):
        session.execute(
            delete(FindingSubjectRow).where(FindingSubjectRow.id.in_([row[0] for row in chunk]))
        )
        made_through = [
            and_(
                or_(FindingLinkRow.finding_id == finding, FindingLinkRow.related_id == finding),
                FindingLinkRow.subject == subject,
                FindingLinkRow.root_cause == cause,
            )
            for _, finding, subject, cause in chunk
        ]
        session.execute(delete(FindingLinkRow).where(or_(*made_through)))


def _link_subjects(
    session: Session,
    project_id: int,
    keys: Sequence[SubjectKey],
    finding_ids: Sequence[int],
    pairs: _Pairs,
) -> None:
    mine = {finding_ids[key.index] for key in keys}
    wanted = {(key.subject, key.root_cause.value): key.root_cause for key in keys}
    subjects = sorted({subject for subject, _ in wanted})
    members: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for chunk in _chunks(subjects):
        rows = session.execute(
            select(
                FindingSubjectRow.subject,
                FindingSubjectRow.root_cause,
                FindingSubjectRow.finding_id,
                FindingSubjectRow.family,
            ).where(
                FindingSubjectRow.project_id == project_id, FindingSubjectRow.subject.in_(chunk)
            )
        )
        for subject, cause, finding, family in rows:
            if (subject, cause) in wanted:
                members.setdefault((subject, cause), []).append((finding, family))
    for (subject, cause_value), group in members.items():
        made = (subject_reason(wanted[(subject, cause_value)], subject), subject)
        for first, first_family in group:
            if first not in mine:
                continue
            for second, second_family in group:
                if second != first and second_family != first_family:
                    pairs.setdefault((first, second, cause_value), made)
                    pairs.setdefault((second, first, cause_value), made)


def _save_links(session: Session, pairs: _Pairs, now: datetime) -> int:
    if not pairs:
        return 0
    sources = sorted({first for first, _, _ in pairs})
    for chunk in _chunks(sources):
        stored = session.execute(
            select(
                FindingLinkRow.finding_id, FindingLinkRow.related_id, FindingLinkRow.root_cause
            ).where(FindingLinkRow.finding_id.in_(chunk))
        )
        for key in stored:
            pairs.pop((key[0], key[1], key[2]), None)
    rows = [
        {
            "finding_id": first,
            "related_id": second,
            "root_cause": cause,
            "reason": reason,
            "subject": subject,
            "created_at": now,
        }
        for (first, second, cause), (reason, subject) in sorted(pairs.items())
    ]
    bulk.insert_rows(session.connection(), FindingLinkRow.__table__, rows)  # type: ignore[arg-type]
    return len(rows)


def finding_links(session: Session, finding_id: int) -> list[LinkedFinding]:
    """The findings ``finding_id`` shares a root cause with, by cause, rule and id."""
    rows = session.execute(
        select(
            FindingRow.id,
            FindingRow.rule_id,
            FindingRow.title,
            FindingRow.location,
            AssetRow.name,
            FindingRow.status,
            FindingLinkRow.root_cause,
            FindingLinkRow.reason,
        )
        .join(FindingRow, FindingRow.id == FindingLinkRow.related_id)
        .join(AssetRow, AssetRow.id == FindingRow.asset_id)
        .where(FindingLinkRow.finding_id == finding_id)
        .order_by(FindingLinkRow.root_cause, FindingRow.rule_id, FindingRow.id)
    )
    return [
        LinkedFinding(
            id=fid,
            rule_id=rule_id,
            title=title,
            location=location,
            asset=asset,
            status=status,
            root_cause=cause,
            reason=reason,
        )
        for fid, rule_id, title, location, asset, status, cause, reason in rows
    ]
