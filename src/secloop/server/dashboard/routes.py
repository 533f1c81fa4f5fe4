"""Dashboard routes: ``/``, ``/projects/{name}``, ``/findings/{id}``, login and forms.

Reads go through :mod:`secloop.server.dashboard.pages`; writes (comment, status)
through the same repository functions as the API, with the same audit trail and the
same permission checks (:mod:`secloop.server.access`). Who is looking is decided by
:func:`_visit` (see :mod:`secloop.server.dashboard.auth`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse

from secloop.core.severity import Severity
from secloop.server.access import (
    LOCAL_USER,
    Action,
    AuthenticationError,
    Principal,
    local_principal,
)
from secloop.server.api.v1.deps import AppState, State, require, require_project
from secloop.server.api.v1.schemas import PriorityLevel, SeverityName
from secloop.server.dashboard import pages
from secloop.server.dashboard.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Session,
    SessionSigner,
    csrf_matches,
    set_cookie,
)
from secloop.server.dashboard.render import render
from secloop.server.errors import TransitionError
from secloop.server.lifecycle import RiskAcceptance, Status
from secloop.server.service import utc_now
from secloop.server.storage import accounts, repository
from secloop.server.storage.db import transaction
from secloop.server.storage.repository import FindingFilter, FindingSort

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
_NEEDS_LOGIN = HTTPException(status_code=303, headers={"Location": "/login"})


def _signer(request: Request) -> SessionSigner:
    signer: SessionSigner = request.app.state.dashboard_signer
    return signer


@dataclass(frozen=True, slots=True)
class _Visit:
    """Who is looking: the session (for its CSRF token), the actor, a cookie to set."""

    session: Session
    actor: Principal
    cookie: str | None
    login_enabled: bool


def _visit(request: Request, state: AppState) -> _Visit:
    """The request's session and actor, or a redirect to the login form.

    Without users (local mode) the dashboard is open and an anonymous session carries
    the CSRF token; with users, only a signed session naming an active user passes.
    The user is re-read on every request, so disabling a user ends their sessions.
    """
    signer = _signer(request)
    session = signer.verify(request.cookies.get(SESSION_COOKIE))
    with transaction(state.sessions) as db:
        if not accounts.has_users(db):
            if session is not None:
                return _Visit(session, local_principal(), None, login_enabled=False)
            session, cookie = signer.issue(LOCAL_USER, authenticated=False)
            return _Visit(session, local_principal(), cookie, login_enabled=False)
        if session is None or not session.authenticated:
            raise _NEEDS_LOGIN
        try:
            actor = accounts.session_principal(db, session.user)
        except AuthenticationError:
            raise _NEEDS_LOGIN from None
    return _Visit(session, actor, None, login_enabled=True)


def _page(request: Request, visit: _Visit, template: str, **context: Any) -> Response:
    response = render(
        template, csrf=visit.session.csrf, user=visit.actor.name,
        login_enabled=visit.login_enabled, **context,
    )  # fmt: skip
    if visit.cookie is not None:
        set_cookie(response, request, SESSION_COOKIE, visit.cookie, _signer(request).lifetime)
    return response


def _check_csrf(request: Request, state: AppState, given: str) -> _Visit:
    visit = _visit(request, state)
    if not csrf_matches(visit.session.csrf, given):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    return visit


def _finding_project(state: AppState, finding_id: int) -> int:
    with state.sessions() as db:
        return repository.get_finding(db, finding_id).project_id


@router.get("/", response_class=Response)
def overview(request: Request, state: State) -> Response:
    visit = _visit(request, state)
    with state.sessions() as session:
        data = pages.overview_page(session, utc_now().date(), visit.actor.visible_projects())
    return _page(request, visit, "overview.html.j2", severities=pages.SEVERITIES, **data)


def _filter(project: str, params: dict[str, Any], page: int) -> FindingFilter:
    return FindingFilter(
        project=project,
        status=tuple(Status(s) for s in params["status"]),
        severity=tuple(Severity[s] for s in params["severity"]),
        priority=tuple(int(p[1]) for p in params["priority"]),
        kind=params["kind"] or None,
        tool=params["tool"].lower() or None,
        kev=True if params["kev"] else None,
        overdue_on=utc_now().date() if params["overdue"] else None,
        text=params["q"].strip() or None,
        sort=FindingSort(params["sort"]),
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )


@router.get("/projects/{name}", response_class=Response)
def project(
    *,
    name: str,
    request: Request,
    state: State,
    status: Annotated[list[Status] | None, Query()] = None,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
    priority: Annotated[list[PriorityLevel] | None, Query()] = None,
    kind: Annotated[str, Query(max_length=20)] = "",
    tool: Annotated[str, Query(max_length=100)] = "",
    kev: bool = False,
    overdue: bool = False,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: FindingSort = FindingSort.PRIORITY,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    visit = _visit(request, state)
    params: dict[str, Any] = {
        "status": status or [], "severity": severity or [], "priority": priority or [],
        "kind": kind, "tool": tool, "kev": kev, "overdue": overdue, "q": q, "sort": sort.value,
    }  # fmt: skip
    with state.sessions() as session:
        require_project(session, visit.actor, Action.READ, name)
        data = pages.project_page(session, name, _filter(name, params, page), utc_now().date())
    query = {k: v for k, v in params.items() if v not in ("", False, [])}
    pages_total = max(1, -(-data["total"] // PER_PAGE))
    return _page(
        request, visit, "project.html.j2", params=params, page=page, pages_total=pages_total,
        prev_url=_page_url(name, query, page - 1) if page > 1 else None,
        next_url=_page_url(name, query, page + 1) if page < pages_total else None,
        severities=pages.SEVERITIES, statuses=list(Status), sorts=list(FindingSort),
        levels=["P1", "P2", "P3", "P4", "P5"], **data,
    )  # fmt: skip


def _page_url(name: str, query: dict[str, Any], page: int) -> str:
    return f"/projects/{quote(name, safe='')}?" + urlencode({**query, "page": page}, doseq=True)


@router.get("/findings/{finding_id}", response_class=Response)
def finding(finding_id: int, request: Request, state: State) -> Response:
    visit = _visit(request, state)
    project_id = _finding_project(state, finding_id)
    require(visit.actor, Action.READ, project_id)
    with state.sessions() as session:
        data = pages.finding_page(session, finding_id, utc_now().date())
    can_write = visit.actor.may(Action.WRITE, project_id)
    return _page(request, visit, "finding.html.j2", can_write=can_write, **data)


@router.post("/findings/{finding_id}/comments", response_class=Response)
def comment(
    finding_id: int,
    request: Request,
    state: State,
    body: Annotated[str, Form(min_length=1, max_length=20_000)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    visit = _check_csrf(request, state, csrf)
    require(visit.actor, Action.WRITE, _finding_project(state, finding_id))
    with transaction(state.sessions) as db:
        repository.add_comment(db, finding_id, user=visit.actor.name, body=body, now=utc_now())
    return RedirectResponse(f"/findings/{finding_id}#comments", status_code=303)


@router.post("/findings/{finding_id}/status", response_class=Response)
def change_status(
    *,
    finding_id: int,
    request: Request,
    state: State,
    status: Annotated[Status, Form()],
    reason: Annotated[str, Form(max_length=5_000)] = "",
    expires: Annotated[date | None, Form()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Triage from the detail page; a risk acceptance takes the reason as justification."""
    visit = _check_csrf(request, state, csrf)
    require(visit.actor, Action.WRITE, _finding_project(state, finding_id))
    user = visit.actor.name
    acceptance = None
    if status is Status.RISK_ACCEPTED:
        if expires is None:
            raise TransitionError("risk acceptance needs an expiry date")
        acceptance = RiskAcceptance(justification=reason, owner=user, expires=expires)
    with transaction(state.sessions) as db:
        repository.change_status(
            db, finding_id, status, user=user, reason=reason, acceptance=acceptance,
            now=utc_now(),
        )  # fmt: skip
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)


def _has_users(state: AppState) -> bool:
    with state.sessions() as db:
        return accounts.has_users(db)


@router.get("/login", response_class=Response)
def login_form(request: Request, state: State) -> Response:
    if not _has_users(state):
        return RedirectResponse("/", status_code=303)
    return _login_page(request, error="", status_code=200)


def _login_page(
    request: Request, *, error: str, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        "login.html.j2", status_code=status_code, csrf=token, error=error, user="",
        login_enabled=True,
    )  # fmt: skip
    response.headers.update(headers or {})
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.post("/login", response_class=Response)
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Username and password for a session cookie (double-submit CSRF on the form)."""
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    with transaction(state.sessions) as db:
        if not accounts.has_users(db):
            return RedirectResponse("/", status_code=303)
        outcome = accounts.login(db, username.strip(), password, now=utc_now())
    if isinstance(outcome, accounts.LoginRefused):
        if outcome.retry_after is not None:
            return _login_page(
                request, error=outcome.message, status_code=429,
                headers={"Retry-After": str(outcome.retry_after)},
            )  # fmt: skip
        return _login_page(request, error=outcome.message, status_code=401)
    _, cookie = _signer(request).issue(outcome.username, authenticated=True)
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, request, SESSION_COOKIE, cookie, _signer(request).lifetime)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout", response_class=Response)
def logout(request: Request, state: State, csrf: Annotated[str, Form()] = "") -> Response:
    visit = _check_csrf(request, state, csrf)
    response = RedirectResponse("/login" if visit.login_enabled else "/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
