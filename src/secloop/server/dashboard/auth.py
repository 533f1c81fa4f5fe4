"""Dashboard sessions and CSRF protection.

A browser cannot send the API's bearer token, so the dashboard has its own session:

1. ``GET /login`` sets a random pre-login CSRF cookie and puts the same value in the
   form (double submit); ``POST /login`` needs both to match, so a cross-site page
   cannot log a victim into the attacker's session (login CSRF).
2. A correct username and password (see :func:`secloop.server.storage.accounts.login`
   for the throttle) give a session cookie: ``payload.signature`` where the payload
   names the user and holds the expiry and a per-session CSRF token, and the signature is an
   HMAC-SHA256 with the server secret. ``HttpOnly`` keeps scripts from reading it,
   ``SameSite=Strict`` keeps other sites' requests from carrying it, ``Secure`` is set
   when the request came over https.
3. Every state-changing form (comment, status change, logout) carries the session's
   CSRF token in a hidden field; it is compared in constant time.

4. Each request re-reads the session's user: disabling a user ends their sessions,
   and role changes apply at once.

With no user in the database the dashboard is open, as the API is (single-user local
use): an anonymous session is still issued so that step 3 protects the forms.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

__all__ = [
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "Session",
    "SessionSigner",
    "csrf_matches",
    "set_cookie",
]

SESSION_COOKIE = "secloop_session"
LOGIN_CSRF_COOKIE = "secloop_login_csrf"
_MAX_COOKIE = 1024


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    csrf: str
    expires: int
    authenticated: bool


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Issues and verifies signed session cookies with one server secret."""

    def __init__(self, secret: bytes, lifetime_seconds: int) -> None:
        self._secret, self._lifetime = secret, lifetime_seconds

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return _b64(mac)

    def issue(self, user: str, *, authenticated: bool) -> tuple[Session, str]:
        session = Session(
            user=user,
            csrf=secrets.token_urlsafe(32),
            expires=int(time.time()) + self._lifetime,
            authenticated=authenticated,
        )
        body = {"u": user, "c": session.csrf, "e": session.expires, "a": authenticated}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return session, f"{payload}.{self._sign(payload)}"

    def verify(self, cookie: str | None) -> Session | None:
        """The session in a cookie, or None if absent, forged, malformed or expired."""
        if not cookie or len(cookie) > _MAX_COOKIE or "." not in cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = Session(str(body["u"]), str(body["c"]), int(body["e"]), bool(body["a"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        return session if session.expires > time.time() else None

    @property
    def lifetime(self) -> int:
        return self._lifetime


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
