"""Storing KEV and EPSS: replace a feed's rows atomically, record its as-of time.

A feed is replaced whole inside the caller's transaction (delete, bulk insert, feed
row, re-prioritise): readers see the old copy or the new one, never a mix, and a
failure half-way leaves the old copy in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from secloop.server.storage.models import EpssRow, IntelFeedRow, KevRow

__all__ = ["FeedRecord", "feed_status", "replace_epss", "replace_kev"]

_CHUNK = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedRecord:
    """What is recorded about a loaded feed."""

    name: str
    source: str
    as_of: datetime | None
    version: str
    fetched_at: datetime
    entries: int
    sha256: str


def _replace(session: Session, model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
    table: Table = model.__table__
    connection = session.connection()
    connection.execute(delete(table))
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK:
            connection.execute(insert(table), chunk)
            chunk = []
    if chunk:
        connection.execute(insert(table), chunk)


def _record(session: Session, record: FeedRecord) -> None:
    row = session.get(IntelFeedRow, record.name)
    if row is None:
        row = IntelFeedRow(name=record.name)
        session.add(row)
    row.source, row.as_of, row.version = record.source[:1000], record.as_of, record.version
    row.fetched_at, row.entries, row.sha256 = record.fetched_at, record.entries, record.sha256


def replace_kev(session: Session, rows: Iterable[dict[str, Any]], record: FeedRecord) -> None:
    _replace(session, KevRow, rows)
    _record(session, record)


def replace_epss(session: Session, rows: Iterable[dict[str, Any]], record: FeedRecord) -> None:
    _replace(session, EpssRow, rows)
    _record(session, record)


def feed_status(session: Session) -> list[FeedRecord]:
    """The loaded feeds, for the API, the dashboard and ``secloop intel status``."""
    return [
        FeedRecord(
            name=r.name, source=r.source, as_of=r.as_of, version=r.version,
            fetched_at=r.fetched_at, entries=r.entries, sha256=r.sha256,
        )
        for r in session.scalars(select(IntelFeedRow).order_by(IntelFeedRow.name))
    ]  # fmt: skip
