"""The FastAPI application factory.

``create_app`` migrates the database to the newest schema, builds the correlation
index from secloop's registered rules once, and maps the secloop error hierarchy to
HTTP statuses: a bad upload is 422 (413 when too large) with a message naming the
file and the reason, never a traceback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from secloop import __version__
from secloop.core.errors import ConfigError, Error
from secloop.server import dashboard, observability
from secloop.server.access import AccountError, AuthenticationError, PermissionDeniedError
from secloop.server.api.v1 import router as v1_router
from secloop.server.api.v1.deps import AppState, State
from secloop.server.api.v1.schemas import Health
from secloop.server.correlate import PeerIndex
from secloop.server.errors import IngestError, NotFoundError, TransitionError, UploadTooLargeError
from secloop.server.settings import ServerSettings, load_settings
from secloop.server.storage import prioritise, repository
from secloop.server.storage.db import make_engine, session_factory, transaction, upgrade
from secloop.server.workers import WorkerError, start_scheduler, start_workers

# The first class an error is an instance of decides its status; order matters.
_STATUSES: tuple[tuple[type[Error], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (AccountError, 409),
    (UploadTooLargeError, 413),
    (IngestError, 422),
    (TransitionError, 422),
    (ConfigError, 422),
    (NotFoundError, 404),
    (WorkerError, 503),  # the job broker or store does not answer
)


def _status_for(err: Error) -> int:
    return next((status for kind, status in _STATUSES if isinstance(err, kind)), 500)


async def _error_response(_request: Request, err: Exception) -> JSONResponse:
    if not isinstance(err, Error):  # registered for Error only; never reached otherwise
        return JSONResponse({"detail": "internal error"}, status_code=500)
    status = _status_for(err)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": err.message}, status_code=status, headers=headers)


def _health(state: State) -> Health:
    with state.sessions() as session:
        session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok", version=__version__)


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """A ready application: schema migrated, expired risk acceptances reopened."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        repository.reopen_expired_acceptances(session, now.date(), now)
        prioritise.refresh(session, only_missing=True)  # rows from before revision 0002

    peers = PeerIndex.from_registry()
    workers = start_workers(settings, sessions, peers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = start_scheduler(workers)
        yield
        if scheduler is not None:
            scheduler.stop()
        workers.runner.close()  # waits for in-process jobs to finish
        engine.dispose()  # close pooled connections when the server stops

    app = FastAPI(
        lifespan=lifespan,
        title="secloop findings server",
        version=__version__,
        description="Ingest scan reports, correlate and deduplicate findings, track them.",
    )
    app.state.secloop = AppState(settings=settings, sessions=sessions, peers=peers)
    app.state.workers = workers
    app.add_exception_handler(Error, _error_response)
    app.include_router(v1_router)
    dashboard.mount(app, settings)
    app.add_api_route("/health", _health, methods=["GET"], response_model=Health, tags=["health"])
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    observability.mount(app, observability.Observability(sessions, workers.runner.store), token)
    return app
