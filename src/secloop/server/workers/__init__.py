"""Background jobs: large imports, intel refresh, re-scans, webhook deliveries.

``start_workers`` picks the runner from the settings: the in-process thread pool by
default, Celery when ``broker_url`` names a Redis broker (workers then run as
``secloop server worker``). Both run the same ``execute.run_job``.
"""

from __future__ import annotations

from secloop.server.correlate import PeerIndex
from secloop.server.settings import ServerSettings
from secloop.server.storage.db import SessionFactory
from secloop.server.workers.execute import WorkerContext
from secloop.server.workers.inprocess import InProcessRunner
from secloop.server.workers.interface import JobKind, JobRecord, JobRunner, JobState, WorkerError
from secloop.server.workers.schedule import Scheduler, scheduled_jobs

__all__ = [
    "JobKind",
    "JobRecord",
    "JobRunner",
    "JobState",
    "WorkerContext",
    "WorkerError",
    "start_scheduler",
    "start_workers",
]


def start_workers(
    settings: ServerSettings, sessions: SessionFactory, peers: PeerIndex
) -> WorkerContext:
    """The runner the settings ask for, bound to a context."""
    runner: JobRunner
    if settings.broker_url:
        from secloop.server.workers.celery_app import CeleryRunner

        runner = CeleryRunner(settings)
    else:
        runner = InProcessRunner(settings.worker_threads)
    context = WorkerContext(settings=settings, sessions=sessions, peers=peers, runner=runner)
    if isinstance(runner, InProcessRunner):
        runner.bind(context)
    return context


def start_scheduler(context: WorkerContext) -> Scheduler | None:
    """The in-process scheduler when a schedule is on and no Celery beat does it."""
    entries = scheduled_jobs(context.settings)
    if context.settings.broker_url or not entries:
        return None
    scheduler = Scheduler(context.runner, entries)
    scheduler.start()
    return scheduler
