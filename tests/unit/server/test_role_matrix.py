"""Every route, driven as every kind of caller: each is refused exactly what it may not do.

The routes are enumerated from ``app.routes`` (through the included routers): a route
added without a rule here fails :func:`test_every_route_has_a_rule`, so access control
cannot be forgotten.
Project-scoped routes target project ``p``; the callers are anonymous, a viewer, a
maintainer and an admin of ``p``, an admin of another project ``q``, a server admin,
and a token with only the ``read`` scope of a user who is admin of ``p``. The API is
called with each caller's bearer token, the dashboard with each caller's session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import httpx2 as httpx  # what starlette.testclient answers with
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from secloop.server.access import Role, Scope
from secloop.server.dashboard.auth import SESSION_COOKIE
from secloop.server.storage import accounts
from secloop.server.storage.db import transaction
from tests.unit.server.conftest import PASSWORD, add_user, bearer, findings, make_client, upload
from tests.unit.server.reports import trivy_vulns


class Rule(Enum):
    PUBLIC = "anyone, no credential"
    OWN_CREDENTIAL = "its own credential (Prometheus scrape token), not users'"
    USER = "any authenticated user"
    READ = "read in project p"
    WRITE = "write in project p"
    MANAGE = "manage project p"
    ADMIN_SCOPE = "any user through a credential with the admin scope"
    SERVER_ADMIN = "server admins only"


CALLERS = ("anonymous", "viewer", "maintainer", "project_admin", "other", "root", "read_token")
ALLOWED: dict[Rule, set[str]] = {
    Rule.PUBLIC: set(CALLERS),
    Rule.USER: set(CALLERS) - {"anonymous"},
    Rule.READ: {"viewer", "maintainer", "project_admin", "root", "read_token"},
    Rule.WRITE: {"maintainer", "project_admin", "root"},
    Rule.MANAGE: {"project_admin", "root"},
    Rule.ADMIN_SCOPE: {"viewer", "maintainer", "project_admin", "other", "root"},
    Rule.SERVER_ADMIN: {"root"},
}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    cookies: dict[str, str]
    finding: int  # a finding of project p
    asset: int  # an asset of project p
    scan: int  # a scan of project p

    def restore(self) -> None:
        """Recreate project p with its members (after a test deleted it)."""
        if any(p["name"] == "p" for p in self.api("root", "GET", "/api/v1/projects").json()):
            return
        upload(self.client, REPORT, project="p", headers=bearer(self.tokens["root"]))
        _members(self.client)

    def api(self, caller: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = bearer(self.tokens[caller]) if caller in self.tokens else {}
        self.client.cookies.clear()
        return self.client.request(method, url, headers=headers, **kwargs)

    def page(self, caller: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()
        if caller in self.cookies:
            self.client.cookies.set(SESSION_COOKIE, self.cookies[caller])
        return self.client.request(method, url, follow_redirects=False, **kwargs)

    def csrf(self, caller: str) -> str:
        signer = self.client.app.state.dashboard_signer  # type: ignore[attr-defined]
        session = signer.verify(self.cookies.get(caller))
        return session.csrf if session else "none"


REPORT = trivy_vulns(("CVE-1", "django", "3.2.9"), ("CVE-2", "requests", "2.0.0"))
MEMBERS = {"viewer": Role.VIEWER, "maintainer": Role.MAINTAINER, "project_admin": Role.ADMIN}


def _members(client: TestClient) -> None:
    with transaction(client.app.state.secloop.sessions) as session:  # type: ignore[attr-defined]
        for name, role in MEMBERS.items():
            accounts.set_member(session, "p", name, role)
        accounts.set_member(session, "p", "rita", Role.ADMIN)


def _login(client: TestClient, name: str) -> str:
    client.cookies.clear()
    form = client.get("/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, (name, response.text)
    return response.cookies[SESSION_COOKIE]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    nowhere = "http://127.0.0.1:9/feed"  # loopback discard port: intel jobs fail fast
    with make_client(tmp, intel_kev_url=nowhere, intel_epss_url=nowhere) as client:
        upload(client, REPORT, project="p")  # local mode creates the projects
        upload(client, trivy_vulns(("CVE-3", "flask", "1.0")), project="q")
        tokens = {"root": add_user(client, "root", admin=True)}
        for name in MEMBERS:
            tokens[name] = add_user(client, name)
        tokens["other"] = add_user(client, "other", roles={"q": "admin"})
        tokens["read_token"] = add_user(client, "rita", scopes=("read",))
        add_user(client, "eve")
        _members(client)
        cookies = {name: _login(client, name) for name in (*MEMBERS, "other", "root")}
        p_finding = findings(client, project="p", headers=bearer(tokens["root"]))[0]["id"]
        assets = client.get(
            "/api/v1/assets", params={"project": "p"}, headers=bearer(tokens["root"])
        )
        yield World(client, tokens, cookies, p_finding, assets.json()[0]["id"], scan=1)


def _own_token(world: World, caller: str) -> int:
    """A token of the caller's own user to revoke (its credential stays valid)."""
    users = {"read_token": "rita"}
    name = users.get(caller, caller)
    sessions = world.client.app.state.secloop.sessions  # type: ignore[attr-defined]
    with transaction(sessions) as session:
        if name not in {u.username for u in accounts.list_users(session)}:
            return 999_999
        user = accounts.get_user(session, name)
        issued = accounts.create_token(
            session, user, name="spare", scopes=frozenset({Scope.READ}), now=datetime.now(UTC)
        )
        return issued.row.id


Call = Callable[[World, str], httpx.Response]
F = "/api/v1/findings/{finding}"


def _api(method: str, url: str, **kwargs: Any) -> Call:
    def call(world: World, caller: str) -> httpx.Response:
        filled = url.format(finding=world.finding, asset=world.asset, scan=world.scan)
        return world.api(caller, method, filled, **kwargs)

    return call


def _page(method: str, url: str, form: dict[str, str] | None = None) -> Call:
    def call(world: World, caller: str) -> httpx.Response:
        filled = url.format(finding=world.finding)
        data = {**form, "csrf": world.csrf(caller)} if form is not None else None
        return world.page(caller, method, filled, data=data)

    return call


def _upload(world: World, caller: str) -> httpx.Response:
    headers = bearer(world.tokens[caller]) if caller in world.tokens else {}
    world.client.cookies.clear()
    return world.client.post(
        "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p"},
        headers=headers,
    )  # fmt: skip


def _revoke(world: World, caller: str) -> httpx.Response:
    return world.api(caller, "DELETE", f"/api/v1/tokens/{_own_token(world, caller)}")


def _job_record(world: World, project: str) -> str:
    """A queued import job of ``project`` (or server-wide with ""), straight in the store."""
    from secloop.server.workers import JobRecord
    from secloop.server.workers.interface import JobKind, JobState

    job_id = uuid.uuid4().hex
    runner = world.client.app.state.workers.runner  # type: ignore[attr-defined]
    runner.store.create(
        JobRecord(
            id=job_id, kind=JobKind.IMPORT if project else JobKind.INTEL_REFRESH,
            state=JobState.QUEUED, created_at=datetime.now(UTC), project=project,
        )
    )  # fmt: skip
    return job_id


def _job_of(project: str) -> Call:
    def call(world: World, caller: str) -> httpx.Response:
        return world.api(caller, "GET", f"/api/v1/jobs/{_job_record(world, project)}")

    return call


def _delete_project(world: World, caller: str) -> httpx.Response:
    world.restore()
    return world.api(caller, "DELETE", "/api/v1/projects/p")


# (method, path) -> (rule, how to call it); destructive calls come last (see ORDER).
RULES: dict[tuple[str, str], tuple[Rule, Call | None]] = {
    ("GET", "/health"): (Rule.PUBLIC, _api("GET", "/health")),
    ("GET", "/openapi.json"): (Rule.PUBLIC, _api("GET", "/openapi.json")),
    ("GET", "/docs"): (Rule.PUBLIC, _api("GET", "/docs")),
    ("GET", "/docs/oauth2-redirect"): (Rule.PUBLIC, _api("GET", "/docs/oauth2-redirect")),
    ("GET", "/redoc"): (Rule.PUBLIC, _api("GET", "/redoc")),
    ("GET", "/metrics"): (Rule.OWN_CREDENTIAL, None),
    ("GET", "/api/v1/projects"): (Rule.USER, _api("GET", "/api/v1/projects")),
    ("DELETE", "/api/v1/projects/{name}"): (Rule.MANAGE, _delete_project),
    ("POST", "/api/v1/scans"): (Rule.WRITE, _upload),
    ("GET", "/api/v1/scans/{scan_id}"): (Rule.READ, _api("GET", "/api/v1/scans/{scan}")),
    ("GET", "/api/v1/findings"): (Rule.READ, _api("GET", "/api/v1/findings?project=p")),
    ("GET", "/api/v1/findings/overdue"): (
        Rule.READ,
        _api("GET", "/api/v1/findings/overdue?project=p"),
    ),
    ("GET", "/api/v1/findings/{finding_id}"): (Rule.READ, _api("GET", F)),
    ("PATCH", "/api/v1/findings/{finding_id}"): (
        Rule.WRITE,
        _api("PATCH", F, json={"status": "triaged"}),
    ),
    ("POST", "/api/v1/findings/{finding_id}/comments"): (
        Rule.WRITE,
        _api("POST", F + "/comments", json={"body": "seen"}),
    ),
    ("GET", "/api/v1/findings/{finding_id}/history"): (Rule.READ, _api("GET", F + "/history")),
    ("GET", "/api/v1/assets"): (Rule.READ, _api("GET", "/api/v1/assets?project=p")),
    ("PATCH", "/api/v1/assets/{asset_id}"): (
        Rule.MANAGE,
        _api("PATCH", "/api/v1/assets/{asset}", json={"exposure": "internal"}),
    ),
    ("GET", "/api/v1/projects/{name}/sla"): (Rule.READ, _api("GET", "/api/v1/projects/p/sla")),
    ("GET", "/api/v1/projects/{name}/workloads"): (
        Rule.READ,
        _api("GET", "/api/v1/projects/p/workloads"),
    ),
    ("PUT", "/api/v1/projects/{name}/sla"): (
        Rule.MANAGE,
        _api("PUT", "/api/v1/projects/p/sla", json={"high": 30}),
    ),
    ("GET", "/api/v1/metrics/time-to-fix"): (
        Rule.READ,
        _api("GET", "/api/v1/metrics/time-to-fix?project=p"),
    ),
    ("GET", "/api/v1/intel"): (Rule.USER, _api("GET", "/api/v1/intel")),
    ("GET", "/api/v1/tokens"): (Rule.USER, _api("GET", "/api/v1/tokens")),
    ("POST", "/api/v1/tokens"): (
        Rule.ADMIN_SCOPE,
        _api("POST", "/api/v1/tokens", json={"name": "n", "scopes": ["read"]}),
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): (Rule.ADMIN_SCOPE, _revoke),
    ("GET", "/api/v1/projects/{name}/members"): (
        Rule.MANAGE,
        _api("GET", "/api/v1/projects/p/members"),
    ),
    ("PUT", "/api/v1/projects/{name}/members/{username}"): (
        Rule.MANAGE,
        _api("PUT", "/api/v1/projects/p/members/eve", json={"role": "viewer"}),
    ),
    ("DELETE", "/api/v1/projects/{name}/members/{username}"): (
        Rule.MANAGE,
        _api("DELETE", "/api/v1/projects/p/members/eve"),
    ),
    ("GET", "/api/v1/jobs/{job_id}"): (Rule.READ, _job_of("p")),
    ("POST", "/api/v1/jobs/intel-refresh"): (
        Rule.SERVER_ADMIN,
        _api("POST", "/api/v1/jobs/intel-refresh"),
    ),
    ("POST", "/api/v1/jobs/rescan"): (Rule.SERVER_ADMIN, _api("POST", "/api/v1/jobs/rescan")),
    # the dashboard (sessions: a token is never a dashboard credential)
    ("GET", "/"): (Rule.USER, _page("GET", "/")),
    ("GET", "/projects/{name}"): (Rule.READ, _page("GET", "/projects/p")),
    ("GET", "/findings/{finding_id}"): (Rule.READ, _page("GET", "/findings/{finding}")),
    ("POST", "/findings/{finding_id}/comments"): (
        Rule.WRITE,
        _page("POST", "/findings/{finding}/comments", {"body": "hi"}),
    ),
    ("POST", "/findings/{finding_id}/status"): (
        Rule.WRITE,
        _page("POST", "/findings/{finding}/status", {"status": "open"}),
    ),
    ("GET", "/login"): (Rule.PUBLIC, _page("GET", "/login")),
    ("POST", "/login"): (Rule.PUBLIC, None),  # see test_dashboard: CSRF, throttle, sessions
    ("POST", "/logout"): (Rule.USER, _page("POST", "/logout", {})),
}
ORDER = sorted(RULES, key=lambda key: RULES[key][1] is _delete_project)


def _app_routes(world: World) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(world.client.app.routes):  # type: ignore[attr-defined]
        assert route.path is not None, f"a route without a path: {route!r}"
        found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return found


def test_every_route_has_a_rule(world: World) -> None:
    missing = _app_routes(world) - set(RULES)
    assert not missing, f"routes without an access rule in this test: {sorted(missing)}"
    assert not set(RULES) - _app_routes(world), "rules for routes that no longer exist"


def _refused(key: tuple[str, str], caller: str, response: httpx.Response) -> bool:
    dashboard = not key[1].startswith(("/api/", "/health", "/openapi", "/docs", "/redoc"))
    if dashboard and caller == "anonymous":
        return response.status_code == 303 and response.headers["location"] == "/login"
    expected = 401 if caller == "anonymous" else 403
    return response.status_code == expected


@pytest.mark.parametrize("key", ORDER, ids=[f"{m} {p}" for m, p in ORDER])
def test_each_caller_is_refused_exactly_what_it_may_not_do(
    world: World, key: tuple[str, str]
) -> None:
    rule, call = RULES[key]
    if call is None:
        pytest.skip(f"{key}: {rule.value}; covered by its own tests")
    dashboard_only_sessions = not key[1].startswith("/api/") and key[1] in {
        "/", "/projects/{name}", "/findings/{finding_id}", "/findings/{finding_id}/comments",
        "/findings/{finding_id}/status", "/logout",
    }  # fmt: skip
    for caller in CALLERS:
        if dashboard_only_sessions and caller == "read_token":
            continue  # a token is not a dashboard credential
        response = call(world, caller)
        allowed = caller in ALLOWED[rule]
        refused = _refused(key, caller, response)
        assert refused != allowed, (
            f"{key} as {caller}: HTTP {response.status_code} {response.text[:200]}; "
            f"rule: {rule.value}"
        )
        assert response.status_code < 500, (key, caller, response.text[:300])


def test_listings_show_only_the_projects_the_caller_may_see(world: World) -> None:
    world.restore()
    seen = {
        caller: {p["name"] for p in world.api(caller, "GET", "/api/v1/projects").json()}
        for caller in CALLERS[1:]
    }
    assert seen["root"] >= {"p", "q"}
    assert seen["viewer"] == seen["maintainer"] == seen["read_token"] == {"p"}
    assert seen["other"] == {"q"}
    for caller, projects in seen.items():
        ids = {
            f["project_id"] for f in findings(world.client, headers=bearer(world.tokens[caller]))
        }
        names = {a["project"] for a in world.api(caller, "GET", "/api/v1/assets").json()}
        ttf = {t["project"] for t in world.api(caller, "GET", "/api/v1/metrics/time-to-fix").json()}
        assert names <= projects, caller
        assert ttf <= projects, caller
        assert len(ids) == len(projects & {"p", "q"}), caller
    other_page = world.page("other", "GET", "/")
    assert "/projects/p" not in other_page.text


def test_unknown_and_forbidden_projects_look_the_same_to_non_admins(world: World) -> None:
    for name in ("p", "does-not-exist"):
        response = world.api("other", "GET", f"/api/v1/projects/{name}/sla")
        assert response.status_code == 403
    assert world.api("root", "GET", "/api/v1/projects/does-not-exist/sla").status_code == 404


def test_jobs_are_read_by_their_project_and_server_wide_ones_by_admins(world: World) -> None:
    world.restore()
    server_wide = _job_of("")
    for caller in CALLERS:
        response = server_wide(world, caller)
        assert (response.status_code == 200) == (caller == "root"), (caller, response.text)
    q_job = _job_of("q")
    assert q_job(world, "other").json()["status_url"].startswith("/api/v1/jobs/")
    assert q_job(world, "viewer").status_code == 403
    gone = _job_of("deleted-project")
    assert gone(world, "viewer").status_code == 403
    assert gone(world, "root").status_code == 200
    assert world.api("viewer", "GET", "/api/v1/jobs/nosuchjob").status_code == 404


def test_submitted_jobs_record_the_project_they_write_to() -> None:
    from secloop.server.workers.execute import queued_record
    from secloop.server.workers.jobs import IntelRefreshJob, RescanJob

    assert queued_record("a", RescanJob(project="p", targets=("/src",))).project == "p"
    assert queued_record("b", IntelRefreshJob()).project == ""
