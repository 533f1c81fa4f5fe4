"""``/api/v1/scans``: upload a report (multipart or JSON), poll an asynchronous ingest."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from secloop.server.access import Action, PermissionDeniedError, Principal
from secloop.server.api.v1.deps import Actor, State, require, require_project
from secloop.server.api.v1.jobs import Workers
from secloop.server.api.v1.schemas import ScanCounts, ScanOut, ScanUploadJson
from secloop.server.errors import IngestError, UploadTooLargeError
from secloop.server.ingest.registry import parse_format
from secloop.server.service import Upload, start_scan, utc_now
from secloop.server.storage import accounts, repository
from secloop.server.storage.db import transaction
from secloop.server.storage.models import ScanRow
from secloop.server.workers.execute import ingest_and_record, queue_import

router = APIRouter(prefix="/scans", tags=["scans"])

_FORM_FIELDS = {"project", "asset", "asset_kind", "format", "full_scan"}
_UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "project"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "project": {"type": "string"},
                        "asset": {"type": "string"},
                        "asset_kind": {"type": "string", "default": "repository"},
                        "format": {"type": "string", "description": "omit to auto-detect"},
                        "full_scan": {"type": "boolean", "default": True},
                    },
                }
            },
            "application/json": {"schema": ScanUploadJson.model_json_schema()},
        },
    }
}


def scan_out(scan: ScanRow) -> ScanOut:
    return ScanOut(
        id=scan.id,
        status=scan.status,  # type: ignore[arg-type]  # the column holds only these values
        project_id=scan.project_id,
        asset_id=scan.asset_id,
        format=scan.format,
        tool=scan.tool,
        tool_version=scan.tool_version,
        target=scan.target,
        source=scan.source,
        uploaded_by=scan.uploaded_by,
        complete=scan.complete,
        created_at=scan.created_at,
        finished_at=scan.finished_at,
        error=scan.error,
        counts=ScanCounts(
            total=scan.findings_total,
            new=scan.findings_new,
            merged=scan.findings_merged,
            reopened=scan.findings_reopened,
            fixed=scan.findings_fixed,
            suppressed=scan.findings_suppressed,
        ),
        coverage={
            "scanned": scan.coverage_scanned,
            "skipped": scan.coverage_skipped,
            "failed": scan.coverage_failed,
            "dropped": scan.dropped,
        },
        status_url=f"/api/v1/scans/{scan.id}",
    )


def _check_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise UploadTooLargeError(f"upload is {declared} bytes, over the limit of {limit}")


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise IngestError(f"full_scan: expected true or false, got {text!r}")


async def _from_form(request: Request, state: State, user: str) -> Upload:
    async with request.form() as form:  # closes the spooled upload files
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise IngestError("multipart upload needs a `file` part with the report")
        data = await upload.read(state.settings.max_upload_bytes + 1)
        fields = {k: v for k, v in form.items() if k in _FORM_FIELDS and isinstance(v, str)}
        source = upload.filename or "upload"
    if len(data) > state.settings.max_upload_bytes:
        raise UploadTooLargeError(
            f"{source}: over the limit of {state.settings.max_upload_bytes} bytes"
        )
    if not fields.get("project"):
        raise IngestError(f"{source}: the `project` field is required")
    fmt = fields.get("format")
    return Upload(
        data=data,
        source=source,
        project=fields["project"][:200],
        asset=(fields.get("asset") or None),
        asset_kind=fields.get("asset_kind", "repository")[:40],
        fmt=parse_format(fmt, source=source) if fmt else None,
        full_scan=_bool(fields.get("full_scan", "true")),
        user=user,
    )


async def _from_json(request: Request, state: State, user: str) -> Upload:
    body = await request.body()
    if len(body) > state.settings.max_upload_bytes:
        raise UploadTooLargeError(
            f"request body is over the limit of {state.settings.max_upload_bytes}"
        )
    try:
        payload = ScanUploadJson.model_validate_json(body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(body)"
        raise IngestError(f"request body: {where}: {first['msg']}") from None
    source = "request body"
    return Upload(
        data=json.dumps(payload.report).encode("utf-8"),
        source=source,
        project=payload.project,
        asset=payload.asset,
        asset_kind=payload.asset_kind,
        fmt=parse_format(payload.format, source=source) if payload.format else None,
        full_scan=payload.full_scan,
        user=user,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ScanOut,
    openapi_extra=_UPLOAD_DOC,
    responses={202: {"model": ScanOut}, 413: {}, 422: {}},
)
async def upload_scan(request: Request, state: State, actor: Actor, workers: Workers) -> Any:
    """Ingest a report; uploads over the async threshold return 202, a status URL and a
    job URL (``Location``): a worker imports them (secloop.server.workers).

    Needs ``write`` in the project. A project that does not exist yet is created for a
    server admin (or any user when ``users_may_create_projects`` is set), who becomes
    its admin; anyone else is refused.
    """
    if not actor.grants(Action.WRITE):  # refuse before reading a large body
        raise PermissionDeniedError(f"{actor.name} may not upload with this token's scopes")
    _check_length(request, state.settings.max_upload_bytes)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        upload = await _from_form(request, state, actor.name)
    else:
        upload = await _from_json(request, state, actor.name)
    await run_in_threadpool(_authorize_upload, state, actor, upload.project)
    scan_id = await run_in_threadpool(start_scan, state.sessions, upload)
    if len(upload.data) > state.settings.async_threshold_bytes:
        job_id = await run_in_threadpool(queue_import, workers, scan_id, upload)
        scan = await run_in_threadpool(_load_scan, state, scan_id)
        body = {**scan.model_dump(mode="json"), "job_url": f"/api/v1/jobs/{job_id}"}
        headers = {"Location": f"/api/v1/jobs/{job_id}"}
        return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED, headers=headers)
    await run_in_threadpool(ingest_and_record, workers, scan_id, upload)
    return await run_in_threadpool(_load_scan, state, scan_id)


def _authorize_upload(state: State, actor: Principal, project: str) -> None:
    """Allow the upload, creating the project first when the actor may create it."""
    try:
        _authorize_or_create(state, actor, project)
    except IntegrityError:  # created by a concurrent upload: now it exists, check the role
        _authorize_or_create(state, actor, project)


def _authorize_or_create(state: State, actor: Principal, project: str) -> None:
    allowed_to_create = actor.may_create_project(
        users_may_create=state.settings.users_may_create_projects
    )
    with transaction(state.sessions) as session:
        if accounts.project_id(session, project) is not None or not allowed_to_create:
            try:
                require_project(session, actor, Action.WRITE, project)
            except PermissionDeniedError:
                raise PermissionDeniedError(
                    f"{actor.name} may not upload to project {project!r}"
                ) from None
            return
        created = repository.get_or_create_project(session, project, utc_now())
        if actor.user_id is not None:
            accounts.add_creator(session, created.id, actor.user_id)


def _load_scan(state: State, scan_id: int, actor: Principal | None = None) -> ScanOut:
    with state.sessions() as session:
        scan = repository.get_scan(session, scan_id)
        if actor is not None:
            require(actor, Action.READ, scan.project_id)
        return scan_out(scan)


@router.get("/{scan_id}", response_model=ScanOut)
def get_scan(scan_id: int, state: State, actor: Actor) -> ScanOut:
    """A scan's status and counts; poll this after a 202."""
    return _load_scan(state, scan_id, actor)
