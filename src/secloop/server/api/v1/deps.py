"""Request-scoped dependencies: application state, the API token, the acting user."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from secloop.server.correlate import PeerIndex
from secloop.server.settings import ServerSettings
from secloop.server.storage.db import SessionFactory

DEFAULT_USER = "api"


@dataclass(frozen=True, slots=True)
class AppState:
    settings: ServerSettings
    sessions: SessionFactory
    peers: PeerIndex


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.secloop
    return state


State = Annotated[AppState, Depends(get_state)]


def require_token(state: State, authorization: Annotated[str | None, Header()] = None) -> None:
    """``Authorization: Bearer <token>`` when a token is configured; constant-time compare."""
    expected = state.settings.api_token
    if expected is None:
        return
    scheme, _, given = (authorization or "").partition(" ")
    token = expected.get_secret_value().encode("utf-8")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), token):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong API token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def acting_user(x_secloop_user: Annotated[str | None, Header()] = None) -> str:
    """Who is acting, for the audit trail (``X-Secloop-User``; per-user auth comes later)."""
    name = (x_secloop_user or "").strip()
    return name[:200] if name else DEFAULT_USER


User = Annotated[str, Depends(acting_user)]
