"""What each job does, shared by every runner: ``run_job`` records the outcome.

A job's record goes queued -> running -> done or failed (with the error message);
the counters in the job store feed ``/metrics`` from whichever process ran it.
Jobs are idempotent where the world allows: an import of a scan that is no longer
pending does nothing, and each notification is claimed once in the store.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import assert_never

from sqlalchemy.exc import IntegrityError, OperationalError

from secloop.core.errors import Error
from secloop.server.correlate import PeerIndex
from secloop.server.ingest import ImportFormat
from secloop.server.service import Upload, run_ingest, start_scan
from secloop.server.settings import ServerSettings
from secloop.server.storage import repository
from secloop.server.storage.db import SessionFactory, transaction
from secloop.server.storage.ingest_store import IngestCounts
from secloop.server.workers.interface import (
    JobRecord,
    JobRunner,
    JobState,
    JobStore,
    WorkerError,
)
from secloop.server.workers.jobs import (
    ImportJob,
    IntelRefreshJob,
    Job,
    NotifyJob,
    RescanJob,
    WebhookJob,
    kind_of,
)

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What a job needs: settings, the database, the correlation index, the runner."""

    settings: ServerSettings
    sessions: SessionFactory
    peers: PeerIndex
    runner: JobRunner


def now_utc() -> datetime:
    return datetime.now(UTC)


def queued_record(job_id: str, job: Job) -> JobRecord:
    project = job.project if isinstance(job, ImportJob | RescanJob) else ""
    return JobRecord(
        id=job_id, kind=kind_of(job), state=JobState.QUEUED, created_at=now_utc(), project=project
    )


def new_job_id() -> str:
    return uuid.uuid4().hex


def enqueue_record(runner: JobRunner, job_id: str, job: Job) -> None:
    """Record a submitted job; counted as queued until a worker picks it up."""
    runner.store.create(queued_record(job_id, job))
    runner.store.add(f"jobs_submitted|{kind_of(job).value}")


def run_job(ctx: WorkerContext, job_id: str, job: Job) -> None:
    """Run ``job`` and record how it went; never raises for the job's own failure."""
    store = ctx.runner.store
    kind = kind_of(job)
    record = store.get(job_id) or queued_record(job_id, job)
    if record.state in {JobState.DONE, JobState.FAILED}:
        return  # a redelivered message of a finished job (Celery acks late)
    record = replace(record, state=JobState.RUNNING, started_at=now_utc())
    store.update(record)
    store.add(f"jobs_started|{kind.value}")
    try:
        result = execute(ctx, job)
    except (Error, IntegrityError, OperationalError, OSError) as err:
        LOG.warning("job %s (%s) failed: %s", job_id, kind.value, err)
        _fail(store, record, str(err))
        return
    except Exception as err:  # the runner's outer boundary: a bug must not leave it running
        LOG.exception("job %s (%s) crashed", job_id, kind.value)
        _fail(store, record, f"internal error: {type(err).__name__}: {err}")
        return
    store.update(replace(record, state=JobState.DONE, finished_at=now_utc(), result=result))
    store.add(f"jobs_finished|{kind.value}|done")


def _fail(store: JobStore, record: JobRecord, error: str) -> None:
    store.update(replace(record, state=JobState.FAILED, finished_at=now_utc(), error=error))
    store.add(f"jobs_finished|{record.kind.value}|failed")


def execute(ctx: WorkerContext, job: Job) -> str:
    """Do the job; a one-line summary of what was done."""
    if isinstance(job, ImportJob):
        return _import(ctx, job)
    if isinstance(job, IntelRefreshJob):
        return _intel(ctx, job)
    if isinstance(job, RescanJob):
        return _rescan(ctx, job)
    if isinstance(job, WebhookJob):
        from secloop.server.workers.notify import deliver

        return deliver(ctx, job)
    if isinstance(job, NotifyJob):
        from secloop.server.workers.notify import sweep

        return sweep(ctx)
    assert_never(job)


def ingest_and_record(ctx: WorkerContext, scan_id: int, upload: Upload) -> IngestCounts:
    """Ingest, count it for the metrics, and announce new critical findings."""
    store = ctx.runner.store
    started = time.perf_counter()
    try:
        counts = run_ingest(
            ctx.sessions, scan_id, upload, peers=ctx.peers, limits=ctx.settings.limits
        )
    except (Error, IntegrityError, OperationalError):
        store.add("ingests|failed")
        raise
    finally:
        store.add("ingest_seconds_sum", time.perf_counter() - started)
        store.add("ingest_seconds_count")
    store.add("ingests|done")
    store.add("ingested_findings", counts.total)
    if ctx.settings.webhooks:
        from secloop.server.workers.notify import announce_new_criticals

        announce_new_criticals(ctx, scan_id)
    return counts


def queue_import(ctx: WorkerContext, scan_id: int, upload: Upload) -> str:
    """Spool a large upload and submit its import; the job id.

    The report waits in ``settings.spool`` (a directory the API and the workers share)
    rather than in the broker: a 200 MiB report is no message. If it cannot be queued
    the scan is marked failed with the reason, so the scan never stays pending.
    """
    spool = ctx.settings.spool
    path = spool / f"scan-{scan_id}-{uuid.uuid4().hex}.upload"
    job = ImportJob(
        scan_id=scan_id, spool_file=str(path), source=upload.source, project=upload.project,
        asset=upload.asset, asset_kind=upload.asset_kind,
        fmt=upload.fmt.value if upload.fmt else None, full_scan=upload.full_scan,
        user=upload.user,
    )  # fmt: skip
    try:
        spool.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.data)
        return ctx.runner.submit(job)
    except (OSError, WorkerError) as err:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        reason = f"cannot queue the import: {err}"
        with transaction(ctx.sessions) as session:
            repository.mark_scan_failed(session, scan_id, reason, now_utc())
        raise WorkerError(f"scan {scan_id}: {reason}") from None


def _describe(counts: IngestCounts) -> str:
    return (
        f"{counts.total} findings: {counts.new} new, {counts.merged} merged, "
        f"{counts.reopened} reopened, {counts.fixed} fixed"
    )


def _import(ctx: WorkerContext, job: ImportJob) -> str:
    spooled = Path(job.spool_file)
    with ctx.sessions() as session:
        status = repository.get_scan(session, job.scan_id).status
    if status != "pending":
        spooled.unlink(missing_ok=True)
        return f"scan {job.scan_id} is already {status}; nothing to do"
    try:
        data = spooled.read_bytes()
    except OSError as err:
        message = f"{spooled}: cannot read the spooled upload: {err.strerror}"
        with transaction(ctx.sessions) as session:
            repository.mark_scan_failed(session, job.scan_id, message, now_utc())
        raise WorkerError(message) from None
    upload = Upload(
        data=data,
        source=job.source,
        project=job.project,
        asset=job.asset,
        asset_kind=job.asset_kind,
        fmt=ImportFormat(job.fmt) if job.fmt else None,
        full_scan=job.full_scan,
        user=job.user,
    )
    try:
        counts = ingest_and_record(ctx, job.scan_id, upload)
    finally:
        spooled.unlink(missing_ok=True)
    return f"scan {job.scan_id}: {_describe(counts)}"


def _intel(ctx: WorkerContext, job: IntelRefreshJob) -> str:
    from secloop.server.intel import FeedSource, update

    settings = ctx.settings
    kev = FeedSource(url=settings.intel_kev_url) if job.kev else None
    epss = FeedSource(url=settings.intel_epss_url) if job.epss else None
    done = update(ctx.sessions, kev=kev, epss=epss)
    return "; ".join(
        f"{d.feed}: {d.entries} entries, {d.reprioritised} findings re-prioritised" for d in done
    )


def _rescan(ctx: WorkerContext, job: RescanJob) -> str:
    from secloop.server.workers.rescan import scan_target

    done: list[str] = []
    failed: list[str] = []
    for target in job.targets:
        try:
            report = scan_target(target)
            upload = Upload(
                data=report, source=f"rescan:{target}"[:500], project=job.project,
                asset=target[:500], asset_kind="rescan", fmt=ImportFormat.SECLOOP,
                full_scan=True, user="scheduler",
            )  # fmt: skip
            scan_id = start_scan(ctx.sessions, upload)
            counts = ingest_and_record(ctx, scan_id, upload)
            done.append(f"{target}: scan {scan_id}, {_describe(counts)}")
        except (Error, OSError) as err:
            failed.append(f"{target}: {err}")
    if failed:
        raise WorkerError(
            f"rescan: {len(failed)} of {len(job.targets)} failed: " + "; ".join(failed)
        )
    return "; ".join(done) or "no targets"
