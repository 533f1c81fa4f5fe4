"""The ingest use case: scan row, import, correlate, store; one transaction per ingest.

The scan row is committed first (status ``pending``) so that an asynchronous upload
has an id to poll. The import and every write of the ingest then happen in one
transaction: a malformed report or a database failure leaves nothing half-written,
and the scan is marked ``failed`` with the reason. A unique-key conflict (two
uploads racing on SQLite, which has no row locks) is retried with fresh data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from secloop.core.errors import Error
from secloop.server.correlate import PeerIndex
from secloop.server.gcpause import gc_paused
from secloop.server.ingest import ImportedReport, ImportFormat, ImportLimits, import_report
from secloop.server.storage import repository
from secloop.server.storage.db import SessionFactory, transaction
from secloop.server.storage.ingest_store import IngestCounts, store_report

LOG = logging.getLogger(__name__)
_RETRIES = 3

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    data: bytes
    source: str
    project: str
    asset: str | None
    asset_kind: str
    fmt: ImportFormat | None
    full_scan: bool
    user: str


def start_scan(factory: SessionFactory, upload: Upload, clock: Clock = utc_now) -> int:
    new = repository.NewScan(
        project=upload.project,
        asset=upload.asset or "default",
        asset_kind=upload.asset_kind,
        source=upload.source,
        format=upload.fmt.value if upload.fmt else "auto",
        uploaded_by=upload.user,
    )
    for attempt in range(1, _RETRIES + 1):
        try:
            with transaction(factory) as session:
                return repository.create_scan(session, new, clock()).id
        except IntegrityError:  # the project or asset was created by a concurrent upload
            if attempt == _RETRIES:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _store(
    factory: SessionFactory, scan_id: int, report: ImportedReport, peers: PeerIndex, clock: Clock
) -> IngestCounts:
    with transaction(factory) as session:
        scan = repository.get_scan(session, scan_id)
        now = clock()
        counts = store_report(session, scan=scan, report=report, peers=peers, now=now)
        scan.format, scan.tool, scan.tool_version = (
            report.format.value,
            report.tool,
            report.tool_version,
        )
        scan.target, scan.complete = report.target[:500], report.complete
        scan.status, scan.finished_at = "done", now
        scan.findings_total, scan.findings_new = counts.total, counts.new
        scan.findings_merged, scan.findings_reopened = counts.merged, counts.reopened
        scan.findings_fixed, scan.findings_suppressed = counts.fixed, counts.suppressed
        scan.coverage_scanned = report.coverage.scanned
        scan.coverage_skipped = report.coverage.skipped
        scan.coverage_failed = report.coverage.failed
        scan.dropped = len(report.dropped)
        return counts


def run_ingest(
    factory: SessionFactory,
    scan_id: int,
    upload: Upload,
    *,
    peers: PeerIndex,
    limits: ImportLimits,
    clock: Clock = utc_now,
) -> IngestCounts:
    """Import and store; on failure the scan is marked failed and the error re-raised."""
    try:
        with gc_paused():
            report = import_report(upload.data, source=upload.source, fmt=upload.fmt, limits=limits)
        if not upload.full_scan:
            report = _partial(report)
        for attempt in range(1, _RETRIES + 1):
            try:
                with gc_paused():
                    return _store(factory, scan_id, report, peers, clock)
            except IntegrityError:
                if attempt == _RETRIES:
                    raise
                LOG.info("scan %s: concurrent ingest conflict, retrying", scan_id)
        raise AssertionError("unreachable")  # pragma: no cover
    except (Error, IntegrityError, OperationalError) as err:
        with transaction(factory) as session:
            repository.mark_scan_failed(session, scan_id, str(err), clock())
        raise


def _partial(report: ImportedReport) -> ImportedReport:
    from dataclasses import replace

    return replace(report, complete=False)
