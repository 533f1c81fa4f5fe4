"""The jobs: frozen values that travel as JSON between the API, the broker and workers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from secloop.server.workers.interface import JobKind, WorkerError


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportJob:
    """Ingest an uploaded report that waits in the spool directory for scan ``scan_id``."""

    scan_id: int
    spool_file: str
    source: str
    project: str
    asset: str | None
    asset_kind: str
    fmt: str | None
    full_scan: bool
    user: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IntelRefreshJob:
    """Download KEV and EPSS and re-prioritise (``secloop intel update``)."""

    kev: bool = True
    epss: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RescanJob:
    """Scan directories, repositories or images with secloop and ingest into ``project``."""

    project: str
    targets: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookJob:
    """One delivery attempt of one event to one configured target."""

    target: str
    event: str
    delivery_id: str
    body: str
    attempt: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyJob:
    """Look for SLA breaches and status changes not yet announced to webhooks."""


Job = ImportJob | IntelRefreshJob | RescanJob | WebhookJob | NotifyJob

_KINDS: dict[JobKind, type[Any]] = {
    JobKind.IMPORT: ImportJob,
    JobKind.INTEL_REFRESH: IntelRefreshJob,
    JobKind.RESCAN: RescanJob,
    JobKind.WEBHOOK: WebhookJob,
    JobKind.NOTIFY: NotifyJob,
}


def kind_of(job: Job) -> JobKind:
    for kind, cls in _KINDS.items():
        if isinstance(job, cls):
            return kind
    raise WorkerError(f"not a job: {type(job).__name__}")


def to_payload(job: Job) -> dict[str, Any]:
    return {"kind": kind_of(job).value, "fields": asdict(job)}


_ADAPTERS: dict[JobKind, TypeAdapter[Any]] = {}


def _adapter(kind: JobKind) -> TypeAdapter[Any]:
    if kind not in _ADAPTERS:  # built on first use: a race only builds one twice
        _ADAPTERS[kind] = TypeAdapter(_KINDS[kind])
    return _ADAPTERS[kind]


def job_from_payload(payload: object) -> Job:
    """The job a payload describes; WorkerError names what is wrong with it."""
    if not isinstance(payload, dict) or not isinstance(payload.get("fields"), dict):
        raise WorkerError("job payload: expected an object with `kind` and `fields`")
    try:
        kind = JobKind(str(payload.get("kind")))
    except ValueError:
        raise WorkerError(f"job payload: unknown kind {payload.get('kind')!r}") from None
    try:
        job: Job = _adapter(kind).validate_python(payload["fields"])
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(fields)"
        raise WorkerError(f"job payload ({kind.value}): {where}: {first['msg']}") from None
    return job
