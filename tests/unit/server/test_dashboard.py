"""The dashboard through the ASGI client: pages, CSP, login, CSRF; SLA and metrics API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from secloop.server.dashboard.auth import SessionSigner
from secloop.server.dashboard.charts import line_chart
from secloop.server.storage.models import FindingRow
from tests.unit.server.conftest import findings, make_client, upload
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


def test_login_with_the_api_token(tmp_path: Path) -> None:
    with make_client(tmp_path, api_token="s3cret", session_secret="k" * 32) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
        form = client.get("/login")
        no_csrf = client.post("/login", data={"token": "s3cret", "csrf": "x"})
        assert no_csrf.status_code == 403
        wrong = client.post("/login", data={"token": "nope", "csrf": _csrf(form.text)})
        assert wrong.status_code == 401
        form = client.get("/login")
        ok = client.post(
            "/login", data={"token": "s3cret", "csrf": _csrf(form.text)}, follow_redirects=False
        )
        assert ok.status_code == 303
        assert "httponly" in ok.headers["set-cookie"].lower()
        assert client.get("/").status_code == 200
        logout = client.post("/logout", data={"csrf": _csrf(client.get("/").text)})
        assert logout.url.path == "/login"


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
