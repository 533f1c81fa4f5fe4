"""``/api/v1/jobs``: the state of a background job; start an intel refresh or a re-scan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict

from secloop.server.access import Action, PermissionDeniedError, Principal
from secloop.server.api.v1.deps import Actor, State, require
from secloop.server.storage import accounts
from secloop.server.storage.db import SessionFactory
from secloop.server.workers import JobRecord, WorkerContext
from secloop.server.workers.jobs import IntelRefreshJob, RescanJob

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: str
    error: str
    status_url: str


def get_workers(request: Request) -> WorkerContext:
    context: WorkerContext = request.app.state.workers
    return context


Workers = Annotated[WorkerContext, Depends(get_workers)]


def job_out(record: JobRecord) -> JobOut:
    return JobOut(
        id=record.id,
        kind=record.kind.value,
        state=record.state.value,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        result=record.result,
        error=record.error,
        status_url=f"/api/v1/jobs/{record.id}",
    )


def _load(workers: WorkerContext, job_id: str) -> JobOut:
    record = workers.runner.status(job_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    return job_out(record)


def _load_readable(
    workers: WorkerContext, sessions: SessionFactory, actor: Principal, job_id: str
) -> JobOut:
    """The job, if ``actor`` may read its project; server-wide jobs (intel refresh,
    webhooks, notifications) and those of a deleted project: server admins only."""
    record = workers.runner.status(job_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    project_id = None
    if record.project:
        with sessions() as session:
            project_id = accounts.project_id(session, record.project)
    if not actor.may(Action.READ, project_id):
        what = f"project {record.project!r}" if record.project else "server-wide"
        raise PermissionDeniedError(f"{actor.name} may not read this job ({what})")
    return job_out(record)


@router.get("/{job_id}", response_model=JobOut, responses={403: {}, 404: {}})
async def get_job(job_id: str, workers: Workers, state: State, actor: Actor) -> JobOut:
    """A job's state (queued, running, done, failed), its summary or its error; for
    those who may read the job's project (server-wide jobs: server admins)."""
    if not actor.grants(Action.READ):
        raise PermissionDeniedError(f"{actor.name} may not read jobs with this token's scopes")
    if not job_id.isalnum() or len(job_id) > 64:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id[:64]}")
    return await run_in_threadpool(_load_readable, workers, state.sessions, actor, job_id)


@router.post("/intel-refresh", status_code=status.HTTP_202_ACCEPTED, response_model=JobOut)
async def refresh_intel(workers: Workers, actor: Actor) -> JobOut:
    """Download KEV and EPSS from the configured URLs and re-prioritise, in the background.

    Server admins only (as every server-wide change)."""
    require(actor, Action.MANAGE, None)
    job_id = await run_in_threadpool(workers.runner.submit, IntelRefreshJob())
    return await run_in_threadpool(_load, workers, job_id)


@router.post("/rescan", status_code=status.HTTP_202_ACCEPTED, response_model=JobOut)
async def rescan(workers: Workers, actor: Actor) -> JobOut:
    """Re-scan the configured ``rescan_targets`` into ``rescan_project``, in the background.

    Only configured targets: an API caller cannot make the server read other paths
    or pull other images. Server admins only."""
    require(actor, Action.MANAGE, None)
    settings = workers.settings
    if not settings.rescan_targets:
        raise HTTPException(status.HTTP_409_CONFLICT, "no rescan_targets configured")
    job = RescanJob(project=settings.rescan_project, targets=settings.rescan_targets)
    job_id = await run_in_threadpool(workers.runner.submit, job)
    return await run_in_threadpool(_load, workers, job_id)
