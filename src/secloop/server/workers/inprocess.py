"""The default runner: a bounded thread pool in the server process, nothing to set up.

Jobs and their states live only as long as the process; a delayed job (a webhook
retry) waits on a timer thread. For jobs that survive restarts and run on other
machines, configure a Redis ``broker_url`` and run ``secloop server worker``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from secloop.server.workers.execute import enqueue_record, new_job_id, run_job
from secloop.server.workers.interface import JobRunner, JobStore, WorkerError
from secloop.server.workers.store import MemoryJobStore

if TYPE_CHECKING:
    from secloop.server.workers.execute import WorkerContext
    from secloop.server.workers.jobs import Job


class InProcessRunner(JobRunner):
    def __init__(self, threads: int, store: JobStore | None = None) -> None:
        super().__init__(store or MemoryJobStore())
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="secloop-job")
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._context: WorkerContext | None = None

    def bind(self, context: WorkerContext) -> None:
        """The context jobs run with (it holds this runner, hence not a constructor arg)."""
        self._context = context

    def submit(self, job: Job, *, delay_seconds: float = 0.0) -> str:
        if self._context is None:
            raise WorkerError("the in-process runner has no context; call bind() first")
        job_id = new_job_id()
        enqueue_record(self, job_id, job)
        if delay_seconds <= 0:
            self._start(job_id, job)
            return job_id
        timer = threading.Timer(delay_seconds, self._start_later, args=(job_id, job))
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()
        return job_id

    def _start(self, job_id: str, job: Job) -> None:
        context = self._context
        if context is None or self._closed:
            raise WorkerError("the job runner is closed")
        self._pool.submit(run_job, context, job_id, job)

    def _start_later(self, job_id: str, job: Job) -> None:
        with self._lock:
            self._timers = {
                t for t in self._timers if t.is_alive() and t is not threading.current_thread()
            }
            if self._closed:
                return
        self._start(job_id, job)

    def close(self) -> None:
        """Cancel pending timers and wait for running jobs to finish."""
        with self._lock:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        self._pool.shutdown(wait=True)
        super().close()
