"""The server-rendered dashboard: overview, project findings, finding detail.

No front-end build, no script, no external URL: Jinja2 templates (autoescaped) with
inline SVG charts computed in Python and one hashed style sheet under a strict CSP.
Without users the dashboard is open, for single-user local use, as the API is; once
a user exists it asks for a username and password and keeps a signed session cookie.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI

from secloop.server.dashboard.auth import SessionSigner
from secloop.server.settings import ServerSettings

__all__ = ["mount"]


def mount(app: FastAPI, settings: ServerSettings) -> None:
    """Add the dashboard routes and the session signer to ``app``."""
    from secloop.server.dashboard.routes import router

    secret = (
        settings.session_secret.get_secret_value().encode("utf-8")
        if settings.session_secret is not None
        else secrets.token_bytes(32)
    )
    app.state.dashboard_signer = SessionSigner(secret, settings.session_hours * 3600)
    app.include_router(router)
