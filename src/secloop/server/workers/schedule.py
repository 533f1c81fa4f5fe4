"""Periodic jobs: Celery beat runs them with a broker, this thread without one.

The in-process scheduler submits each due job to the runner and sleeps until the
next one is due; it starts with the server only when a schedule is switched on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from secloop.core.errors import Error
from secloop.server.settings import ServerSettings
from secloop.server.workers.interface import JobRunner
from secloop.server.workers.jobs import IntelRefreshJob, Job, NotifyJob, RescanJob

LOG = logging.getLogger(__name__)


def scheduled_jobs(settings: ServerSettings) -> list[tuple[str, float, Job]]:
    """(name, period in seconds, job) for every schedule switched on."""
    found: list[tuple[str, float, Job]] = []
    if settings.intel_refresh_hours > 0:
        found.append(("intel-refresh", settings.intel_refresh_hours * 3600, IntelRefreshJob()))
    if settings.rescan_hours > 0 and settings.rescan_targets:
        job = RescanJob(project=settings.rescan_project, targets=settings.rescan_targets)
        found.append(("rescan", settings.rescan_hours * 3600, job))
    if settings.notify_minutes > 0 and settings.webhooks:
        found.append(("notify", settings.notify_minutes * 60, NotifyJob()))
    return found


class Scheduler:
    """A daemon thread that submits each job once per period, the first after one period."""

    def __init__(
        self,
        runner: JobRunner,
        entries: list[tuple[str, float, Job]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runner, self._clock = runner, clock
        start = clock()
        self._due = {name: start + period for name, period, _job in entries}
        self._entries = entries
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="secloop-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def tick(self) -> list[str]:
        """Submit what is due now; the names submitted."""
        now = self._clock()
        submitted: list[str] = []
        for name, period, job in self._entries:
            if now >= self._due[name]:
                self._due[name] = now + period
                try:
                    self._runner.submit(job)
                    submitted.append(name)
                except Error as err:  # a broker outage must not end the schedule
                    LOG.warning("scheduled job %s not submitted: %s", name, err.message)
        return submitted

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            wait = min(self._due.values(), default=self._clock() + 60) - self._clock()
            self._stop.wait(max(wait, 0.05))
