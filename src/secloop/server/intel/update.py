"""``secloop intel update``: fetch or read each feed, parse it, store it, re-prioritise.

Each feed is fetched and parsed completely before the database is touched, then
stored and the findings with a CVE re-prioritised in one transaction per feed, so
an interrupted or malformed download never leaves a partial catalogue behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from secloop.intel.feeds import FeedLimits, FeedSource, parse_epss, parse_kev
from secloop.server.storage import prioritise
from secloop.server.storage.db import SessionFactory, transaction
from secloop.server.storage.intel_store import FeedRecord, replace_epss, replace_kev

__all__ = ["FeedSource", "UpdateSummary", "update"]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSummary:
    feed: str
    source: str
    entries: int
    skipped: int
    as_of: datetime | None
    reprioritised: int


def _kev(factory: SessionFactory, source: FeedSource, limits: FeedLimits) -> UpdateSummary:
    where, data = source.load(limits)
    feed = parse_kev(data, where, limits)
    rows = (
        {
            "cve_id": e.cve_id, "date_added": e.date_added, "due_date": e.due_date,
            "vendor": e.vendor, "product": e.product, "name": e.name, "ransomware": e.ransomware,
        }
        for e in feed.entries
    )  # fmt: skip
    record = FeedRecord(
        name="kev", source=where, as_of=feed.as_of, version=feed.version,
        fetched_at=datetime.now(UTC), entries=len(feed.entries),
        sha256=hashlib.sha256(data).hexdigest(),
    )  # fmt: skip
    with transaction(factory) as session:
        replace_kev(session, rows, record)
        changed = prioritise.refresh(session, with_cve=True)
    return UpdateSummary(
        feed="kev", source=where, entries=len(feed.entries), skipped=feed.skipped,
        as_of=feed.as_of, reprioritised=changed,
    )  # fmt: skip


def _epss(factory: SessionFactory, source: FeedSource, limits: FeedLimits) -> UpdateSummary:
    where, data = source.load(limits)
    feed = parse_epss(data, where, limits)
    rows = (
        {"cve_id": cve, "probability": p, "percentile": pct}
        for cve, (p, pct) in feed.scores.items()
    )
    record = FeedRecord(
        name="epss", source=where, as_of=feed.as_of, version=feed.model_version,
        fetched_at=datetime.now(UTC), entries=len(feed.scores),
        sha256=hashlib.sha256(data).hexdigest(),
    )  # fmt: skip
    with transaction(factory) as session:
        replace_epss(session, rows, record)
        changed = prioritise.refresh(session, with_cve=True)
    return UpdateSummary(
        feed="epss", source=where, entries=len(feed.scores), skipped=feed.skipped,
        as_of=feed.as_of, reprioritised=changed,
    )  # fmt: skip


def update(
    factory: SessionFactory,
    *,
    kev: FeedSource | None,
    epss: FeedSource | None,
    limits: FeedLimits | None = None,
) -> list[UpdateSummary]:
    """Load the feeds asked for, KEV first; each is all-or-nothing on its own."""
    limits = limits or FeedLimits()
    done: list[UpdateSummary] = []
    if kev is not None:
        done.append(_kev(factory, kev, limits))
    if epss is not None:
        done.append(_epss(factory, epss, limits))
    return done
