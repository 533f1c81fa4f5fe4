"""The Celery runner: Redis broker, job states in the same Redis (``RedisJobStore``).

The API process submits by task name (``send_task``), so it never imports worker
code; a worker (``secloop server worker``) registers the one task, ``secloop.run_job``,
which decodes the payload and calls ``execute.run_job`` with a context built once per
worker process from the same settings. Celery's own result backend is not used: the
job store keeps the states the API reports, under the configured key prefix.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secloop.server.settings import ServerSettings
from secloop.server.workers.execute import WorkerContext, enqueue_record, new_job_id, run_job
from secloop.server.workers.interface import JobRunner, WorkerError
from secloop.server.workers.jobs import Job, job_from_payload, to_payload
from secloop.server.workers.schedule import scheduled_jobs
from secloop.server.workers.store import RedisJobStore

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]  # no py.typed

TASK_NAME = "secloop.run_job"
QUEUE = "secloop"


def _check_broker(url: str) -> None:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise WorkerError(
            f"broker_url: only Redis brokers are supported, got {url.split(':', maxsplit=1)[0]}://"
        )


def make_celery(settings: ServerSettings) -> Celery:
    """A Celery application for ``settings.broker_url`` (no result backend)."""
    from celery import Celery

    _check_broker(settings.broker_url)
    app = Celery("secloop", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        broker_transport_options={"global_keyprefix": settings.job_key_prefix},
        broker_connection_retry_on_startup=True,
        task_default_queue=QUEUE,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # A job lost with a crashed worker is redelivered; run_job skips finished ones.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        beat_schedule=beat_schedule(settings),
    )
    return app


def beat_schedule(settings: ServerSettings) -> dict[str, dict[str, Any]]:
    """The periodic jobs of ``settings`` as Celery beat entries."""
    return {
        name: {
            "task": TASK_NAME,
            "schedule": timedelta(seconds=seconds),
            "args": (None, to_payload(job)),
        }
        for name, seconds, job in scheduled_jobs(settings)
    }


class CeleryRunner(JobRunner):
    """Submits to the broker; a worker process runs the job."""

    def __init__(self, settings: ServerSettings) -> None:
        _check_broker(settings.broker_url)
        super().__init__(RedisJobStore(settings.broker_url, settings.job_key_prefix))
        self.celery = make_celery(settings)

    def submit(self, job: Job, *, delay_seconds: float = 0.0) -> str:
        from kombu.exceptions import KombuError

        job_id = new_job_id()
        enqueue_record(self, job_id, job)
        try:
            self.celery.send_task(
                TASK_NAME, args=(job_id, to_payload(job)), task_id=job_id,
                countdown=delay_seconds or None, queue=QUEUE,
            )  # fmt: skip
        except (KombuError, OSError) as err:
            raise WorkerError(f"cannot queue the job on {QUEUE}: {err}") from None
        return job_id

    def close(self) -> None:
        self.celery.close()
        super().close()


def worker_app(settings: ServerSettings) -> Celery:
    """The Celery app of a worker process, with ``secloop.run_job`` registered."""
    from secloop.server.correlate import PeerIndex
    from secloop.server.storage.db import make_engine, session_factory, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    runner = CeleryRunner(settings)
    context = WorkerContext(
        settings=settings,
        sessions=session_factory(engine),
        peers=PeerIndex.from_registry(),
        runner=runner,
    )
    Path(settings.spool).mkdir(parents=True, exist_ok=True)

    @runner.celery.task(name=TASK_NAME)  # type: ignore[untyped-decorator]  # celery is untyped
    def _run(job_id: str | None, payload: dict[str, Any]) -> None:
        job = job_from_payload(payload)
        if job_id is None:  # a beat entry: a new id per run, recorded as queued first
            job_id = new_job_id()
            enqueue_record(runner, job_id, job)
        run_job(context, job_id, job)

    return runner.celery


def run_worker(settings: ServerSettings, *, beat: bool, concurrency: int) -> None:
    """Start a worker (and beat, when asked) in this process until it is stopped."""
    app = worker_app(settings)
    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=threads"]
    argv += ["-Q", QUEUE, "--without-gossip", "--without-mingle"]
    if beat:
        argv += ["--beat", f"--schedule={settings.data_dir / 'celerybeat-schedule'}"]
    app.worker_main(argv=argv)
