"""Request-scoped dependencies: application state, the authenticated actor, permission checks.

Every API route depends on :data:`Actor`. With no user in the database (single-user
local mode) the actor is ``local`` (or the ``X-Secloop-User`` header, kept for
scripts of that mode) with every right; once a user exists every request needs
``Authorization: Bearer <token>`` and the header is ignored: the audit trail names
the token's user. Routes then ask :func:`require` or :func:`require_project` for the
action they perform (see :mod:`secloop.server.access`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from secloop.server.access import (
    LOCAL_USER,
    Action,
    AuthenticationError,
    PermissionDeniedError,
    Principal,
    local_principal,
)
from secloop.server.correlate import PeerIndex
from secloop.server.errors import NotFoundError
from secloop.server.service import utc_now
from secloop.server.settings import ServerSettings
from secloop.server.storage import accounts
from secloop.server.storage.db import SessionFactory, transaction

_VERBS = {Action.READ: "read", Action.WRITE: "change", Action.MANAGE: "manage"}


@dataclass(frozen=True, slots=True)
class AppState:
    settings: ServerSettings
    sessions: SessionFactory
    peers: PeerIndex


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.secloop
    return state


State = Annotated[AppState, Depends(get_state)]


# Declared as a security scheme so that OpenAPI (and /docs' "Authorize") shows it.
_BEARER = HTTPBearer(
    auto_error=False,
    description="An API token (`secloop server token create`); not needed while the "
    "server has no users (local mode).",
)


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise AuthenticationError(
            "this server requires an API token: send `Authorization: Bearer <token>` "
            "(create one with `secloop server token create`)"
        )
    return credentials.credentials.strip()


def authenticate(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    x_secloop_user: Annotated[
        str | None, Header(description="The actor's name in local mode only; ignored otherwise.")
    ] = None,
) -> Principal:
    """The request's actor: local mode without users, else the bearer token's user."""
    with transaction(state.sessions) as session:
        if not accounts.has_users(session):
            name = (x_secloop_user or "").strip()[:200]
            return local_principal(name or LOCAL_USER)
        return accounts.token_principal(session, _token(credentials), now=utc_now())


Actor = Annotated[Principal, Depends(authenticate)]


def require(actor: Principal, action: Action, project_id: int | None) -> None:
    """Raise 403 unless ``actor`` may do ``action`` in the project."""
    if not actor.may(action, project_id):
        raise PermissionDeniedError(
            f"{actor.name} may not {_VERBS[action]} this project"
            + (" with this token's scopes" if actor.token_id is not None else "")
        )


def require_project(session: Session, actor: Principal, action: Action, name: str) -> int:
    """The id of project ``name`` once ``actor`` may do ``action`` in it.

    A project the actor has no role in is refused with 403 whether or not it exists,
    so that project names cannot be probed; only those who may see every project
    learn that one does not exist (404).
    """
    project_id = accounts.project_id(session, name)
    if project_id is None:
        if actor.visible_projects() is None:
            raise NotFoundError(f"no project {name!r}")
        raise PermissionDeniedError(f"{actor.name} may not {_VERBS[action]} project {name!r}")
    require(actor, action, project_id)
    return project_id
