"""Job stores: in memory (one process) and Redis (the API and Celery workers share it)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from secloop.server.workers.interface import (
    JobKind,
    JobRecord,
    JobState,
    JobStore,
    WorkerError,
)

if TYPE_CHECKING:
    import redis

#: Job records older than this are forgotten (Redis expiry; memory keeps the newest N).
RECORD_TTL_SECONDS = 7 * 24 * 3600
_MEMORY_RECORDS = 10_000
#: Notification claims (which SLA breach or status change was announced) live this long
#: after the group's last claim; the status-change cursor alone prevents repeats beyond it.
CLAIM_TTL_SECONDS = 90 * 24 * 3600


def _encode(record: JobRecord) -> dict[Any, Any]:  # typed for redis-py's mapping
    fields = asdict(record)
    return {
        key: (value.isoformat() if isinstance(value, datetime) else str(value))
        for key, value in fields.items()
        if value is not None
    }


def _decode(fields: dict[str, str]) -> JobRecord:
    def when(key: str) -> datetime | None:
        return datetime.fromisoformat(fields[key]) if fields.get(key) else None

    created = when("created_at")
    if created is None:
        raise WorkerError(f"job {fields.get('id', '?')}: stored record has no creation time")
    return JobRecord(
        id=fields["id"],
        kind=JobKind(fields["kind"]),
        state=JobState(fields["state"]),
        created_at=created,
        started_at=when("started_at"),
        finished_at=when("finished_at"),
        result=fields.get("result", ""),
        error=fields.get("error", ""),
        project=fields.get("project", ""),
    )


class MemoryJobStore(JobStore):
    """For the in-process runner: bounded, thread-safe, gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: OrderedDict[str, JobRecord] = OrderedDict()
        self._counters: dict[str, float] = {}
        self._claims: set[tuple[str, str]] = set()
        self._values: dict[str, str] = {}

    def create(self, record: JobRecord) -> None:
        with self._lock:
            self._records[record.id] = record
            while len(self._records) > _MEMORY_RECORDS:
                self._records.popitem(last=False)

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._records.get(job_id)

    def update(self, record: JobRecord) -> None:
        self.create(record)

    def add(self, counter: str, amount: float = 1) -> None:
        with self._lock:
            self._counters[counter] = self._counters.get(counter, 0) + amount

    def counters(self) -> dict[str, float]:
        with self._lock:
            return dict(self._counters)

    def claim(self, group: str, key: str) -> bool:
        with self._lock:
            if (group, key) in self._claims:
                return False
            self._claims.add((group, key))
            return True

    def get_value(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def set_value(self, name: str, value: str) -> None:
        with self._lock:
            self._values[name] = value

    def close(self) -> None:
        """Nothing to release: the records live as long as the process."""


class RedisJobStore(JobStore):
    """Every key starts with ``prefix`` so that several servers can share one Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        try:
            self._redis: redis.Redis = redis.Redis.from_url(url, decode_responses=True)
        except ValueError as err:
            raise WorkerError(f"broker_url: {err}") from None
        self._prefix = prefix

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _call(self, action: str, fn: Any, *args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except redis.RedisError as err:
            raise WorkerError(f"job store: cannot {action}: {err}") from None

    def create(self, record: JobRecord) -> None:
        key = self._key("job", record.id)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping=_encode(record))
        pipe.expire(key, RECORD_TTL_SECONDS)
        self._call("store a job", pipe.execute)

    def get(self, job_id: str) -> JobRecord | None:
        fields = self._call("read a job", self._redis.hgetall, self._key("job", job_id))
        return _decode(fields) if fields else None

    def update(self, record: JobRecord) -> None:
        key = self._key("job", record.id)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping=_encode(record))
        pipe.expire(key, RECORD_TTL_SECONDS)
        self._call("update a job", pipe.execute)

    def add(self, counter: str, amount: float = 1) -> None:
        self._call("count", self._redis.hincrbyfloat, self._key("counters"), counter, amount)

    def counters(self) -> dict[str, float]:
        raw = self._call("read counters", self._redis.hgetall, self._key("counters"))
        return {name: float(value) for name, value in raw.items()}

    def claim(self, group: str, key: str) -> bool:
        name = self._key("claims", group)
        pipe = self._redis.pipeline()
        pipe.sadd(name, key)
        pipe.expire(name, CLAIM_TTL_SECONDS)  # a group idle this long is forgotten whole
        added, _ttl = self._call("claim", pipe.execute)
        return bool(added)

    def get_value(self, name: str) -> str | None:
        value: str | None = self._call("read", self._redis.get, self._key("value", name))
        return value

    def set_value(self, name: str, value: str) -> None:
        self._call("write", self._redis.set, self._key("value", name), value)

    def close(self) -> None:
        self._redis.close()
