"""The dashboard through the ASGI client: pages, CSP, login, CSRF; SLA and metrics API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from secloop.server.dashboard.auth import SessionSigner
from secloop.server.dashboard.charts import line_chart
from secloop.server.storage import accounts
from secloop.server.storage.models import FindingRow
from tests.unit.server.conftest import PASSWORD, add_user, bearer, findings, make_client, upload
from tests.unit.server.reports import trivy_vulns

REPORT = trivy_vulns(("CVE-2021-44228", "log4j", "2.0"), ("CVE-2020-0001", "requests", "2.0.0"))
XSS = trivy_vulns(("CVE-2020-9999", "<script>alert(1)</script>", "1.0"))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _count(html: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}" data-count="(\d+)"', html)
    assert found is not None, testid
    return int(found.group(1))


def test_pages_show_counts_under_a_strict_csp(client: TestClient) -> None:
    upload(client, REPORT)
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in csp
    assert "<script" not in page.text
    assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert _count(page.text, "open-total") == 2
    assert _count(page.text, "open-high") == 2
    assert 'data-points="1"' in page.text
    project = client.get("/projects/demo", params={"q": "log4j"})
    assert _count(project.text, "findings-total") == 1
    assert "/findings/1" in project.text
    detail = client.get("/findings/1")
    assert "first reported" in detail.text
    assert "HIGH · exposure unknown" in detail.text


def test_user_text_is_escaped(client: TestClient) -> None:
    upload(client, XSS)
    for url in ("/", "/projects/demo", "/findings/1"):
        text = client.get(url).text
        assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in client.get("/findings/1").text


def test_open_dashboard_forms_need_the_csrf_token(client: TestClient) -> None:
    upload(client, REPORT)
    page = client.get("/findings/1")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    refused = client.post("/findings/1/comments", data={"body": "hi", "csrf": "forged"})
    assert refused.status_code == 403
    ok = client.post(
        "/findings/1/comments", data={"body": "looking", "csrf": _csrf(page.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert ok.status_code == 303
    assert "looking" in client.get("/findings/1").text
    form = {"status": "fixed", "reason": "patched", "csrf": _csrf(page.text)}
    changed = client.post("/findings/1/status", data=form, follow_redirects=False)
    assert changed.status_code == 303
    assert client.get("/api/v1/findings/1").json()["status"] == "fixed"


def _login(client: TestClient, username: str, password: str = PASSWORD) -> int:
    form = client.get("/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf": _csrf(form.text)},
        follow_redirects=False,
    )  # fmt: skip
    return response.status_code


def test_login_with_username_and_password(tmp_path: Path) -> None:
    with make_client(tmp_path, session_secret="k" * 32) as client:
        upload(client, REPORT)
        assert client.get("/login", follow_redirects=False).headers["location"] == "/"
        add_user(client, "carol", roles={"demo": "maintainer"})
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
        form = client.get("/login")
        no_csrf = client.post("/login", data={"username": "carol", "password": PASSWORD})
        assert no_csrf.status_code == 403
        wrong = client.post(
            "/login", data={"username": "carol", "password": "nope", "csrf": _csrf(form.text)}
        )
        assert wrong.status_code == 401
        assert "Wrong username or password." in wrong.text
        unknown = client.post(
            "/login", data={"username": "nobody", "password": "nope", "csrf": _csrf(wrong.text)}
        )
        assert (unknown.status_code, "Wrong username or password." in unknown.text) == (401, True)
        form = client.get("/login")
        ok = client.post(
            "/login", data={"username": "carol", "password": PASSWORD, "csrf": _csrf(form.text)},
            follow_redirects=False,
        )  # fmt: skip
        assert ok.status_code == 303
        assert "httponly" in ok.headers["set-cookie"].lower()
        page = client.get("/findings/1")
        assert 'data-testid="user">carol<' in page.text
        comment = {"body": "mine", "csrf": _csrf(page.text)}
        assert client.post("/findings/1/comments", data=comment).status_code == 200
        detail = client.get(
            "/api/v1/findings/1", headers=bearer(add_user(client, "root", admin=True))
        )
        assert [(c["user"], c["body"]) for c in detail.json()["comments"]] == [("carol", "mine")]
        logout = client.post("/logout", data={"csrf": _csrf(client.get("/").text)})
        assert logout.url.path == "/login"
        assert client.get("/", follow_redirects=False).status_code == 303


def test_dashboard_shows_and_allows_only_what_the_role_permits(tmp_path: Path) -> None:
    with make_client(tmp_path, session_secret="k" * 32) as client:
        upload(client, REPORT)
        upload(client, XSS, project="other")
        add_user(client, "vera", roles={"demo": "viewer"})
        assert _login(client, "vera") == 303
        overview = client.get("/")
        assert _count(overview.text, "open-total") == 2  # "other" is not counted
        assert "/projects/other" not in overview.text
        assert client.get("/projects/other").status_code == 403
        assert client.get("/projects/missing").status_code == 403  # no probing for names
        assert client.get("/findings/3").status_code == 403
        page = client.get("/findings/1")
        assert 'data-testid="read-only"' in page.text
        assert 'action="/findings/1/comments"' not in page.text
        form = {"body": "sneaky", "csrf": _csrf(page.text)}
        assert client.post("/findings/1/comments", data=form).status_code == 403
        form = {"status": "fixed", "csrf": _csrf(page.text)}
        assert client.post("/findings/1/status", data=form).status_code == 403


def test_disabling_a_user_ends_their_session(tmp_path: Path) -> None:
    with make_client(tmp_path, session_secret="k" * 32) as client:
        add_user(client, "dan", admin=True)
        assert _login(client, "dan") == 303
        assert client.get("/").status_code == 200
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        with sessions() as session, session.begin():
            accounts.set_active(session, "dan", active=False)
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
        assert _login(client, "dan") == 401  # the right password of a disabled user


def test_repeated_failures_lock_the_username(tmp_path: Path) -> None:
    with make_client(tmp_path, session_secret="k" * 32) as client:
        add_user(client, "erin")
        for _ in range(accounts.FREE_FAILURES - 1):
            assert _login(client, "erin", "wrong password") == 401
        assert _login(client, "erin", "wrong password") == 401  # this one locks
        form = client.get("/login")
        locked = client.post(
            "/login", data={"username": "erin", "password": PASSWORD, "csrf": _csrf(form.text)}
        )
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= 31
        assert "Too many failed logins" in locked.text


def test_forged_or_expired_sessions_are_refused() -> None:
    signer = SessionSigner(b"a" * 32, 60)
    session, cookie = signer.issue("admin", authenticated=True)
    assert signer.verify(cookie) == session
    assert signer.verify(cookie[:-2] + "AA") is None
    assert SessionSigner(b"b" * 32, 60).verify(cookie) is None
    assert SessionSigner(b"a" * 32, -1).verify(SessionSigner(b"a" * 32, -1).issue(
        "admin", authenticated=True)[1]) is None  # fmt: skip
    assert signer.verify("garbage") is None


def test_sla_overdue_and_time_to_fix(client: TestClient) -> None:
    upload(client, REPORT)
    assert client.get("/api/v1/projects/demo/sla").json()["high"] == 30
    put = client.put("/api/v1/projects/demo/sla", json={"high": 1})
    assert put.json() == {"critical": 7, "high": 1, "medium": 90, "low": 180, "kev": 7}
    sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
    long_ago = datetime.now(UTC) - timedelta(days=10)
    with sessions() as session, session.begin():
        session.execute(update(FindingRow).values(first_seen_at=long_ago))
    client.put("/api/v1/projects/demo/sla", json={"high": 2})  # re-dates from first seen
    overdue = client.get("/api/v1/findings/overdue").json()
    assert overdue["total"] == 2
    assert all(item["overdue"] for item in overdue["items"])
    client.patch("/api/v1/findings/1", json={"status": "fixed"})
    ttf = client.get("/api/v1/metrics/time-to-fix").json()
    assert ttf[0]["project"] == "demo"
    (high,) = ttf[0]["by_severity"]
    assert (high["severity"], high["fixed"]) == ("HIGH", 1)
    assert 9.9 < high["median_days"] < 10.1
    assert len(findings(client, overdue="true")) == 1
    assert _count(client.get("/").text, "overdue-total") == 1
    assert client.put("/api/v1/projects/nope/sla", json={}).status_code == 404


def test_line_chart_geometry() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    chart = line_chart(
        [(start, 0), (start + timedelta(days=1), 10), (start + timedelta(days=2), 5)]
    )
    xs = [x for x, _, _, _ in chart.dots]
    assert xs == sorted(xs)
    assert chart.y_max == 10
    assert chart.dots[1][1] == chart.y_max_at
    assert chart.dots[0][1] == chart.baseline
    assert line_chart([]).empty
    many = line_chart([(start + timedelta(hours=h), h) for h in range(1000)], max_points=50)
    assert len(many.dots) == 50
    assert many.last_value == 999
