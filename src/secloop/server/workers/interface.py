"""The job runner family: job values, job records, the store of their states, the runner.

Errors::

    secloop.core.errors.Error
    └── WorkerError            a job cannot be submitted or read (bad payload, broker down)

A job is a frozen value that can travel as JSON (``to_payload``/``job_from_payload``)
so the in-process runner and Celery run exactly the same code (``execute.run_job``).
Job states live in a ``JobStore``: in memory for the in-process runner, in Redis for
Celery, so the API process sees what a worker did.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from secloop.core.errors import Error

if TYPE_CHECKING:
    from secloop.server.workers.jobs import Job


class WorkerError(Error):
    """A job cannot be submitted, decoded or looked up."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobKind(StrEnum):
    IMPORT = "import"
    INTEL_REFRESH = "intel_refresh"
    RESCAN = "rescan"
    WEBHOOK = "webhook"
    NOTIFY = "notify"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRecord:
    """What is known about one submitted job."""

    id: str
    kind: JobKind
    state: JobState
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: str = ""  # a one-line summary of what the job did
    error: str = ""  # why it failed
    project: str = ""  # the project an import or re-scan writes to; "": server-wide


class JobStore(ABC):
    """Job records plus the counters and markers jobs share across processes."""

    @abstractmethod
    def create(self, record: JobRecord) -> None: ...

    @abstractmethod
    def get(self, job_id: str) -> JobRecord | None: ...

    @abstractmethod
    def update(self, record: JobRecord) -> None: ...

    @abstractmethod
    def add(self, counter: str, amount: float = 1) -> None:
        """Add to a named counter (metrics read them with ``counters``)."""

    @abstractmethod
    def counters(self) -> dict[str, float]: ...

    @abstractmethod
    def claim(self, group: str, key: str) -> bool:
        """True the first time ``key`` is claimed in ``group``: exactly-once side effects."""

    @abstractmethod
    def get_value(self, name: str) -> str | None: ...

    @abstractmethod
    def set_value(self, name: str, value: str) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


class JobRunner(ABC):
    """Runs jobs somewhere; ``status`` reads the shared store."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    @abstractmethod
    def submit(self, job: Job, *, delay_seconds: float = 0.0) -> str:
        """Queue ``job`` to run after ``delay_seconds``; its id for ``status``."""

    def status(self, job_id: str) -> JobRecord | None:
        return self.store.get(job_id)

    def close(self) -> None:
        self.store.close()
