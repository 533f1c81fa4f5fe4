"""End to end: the real app under uvicorn, a corpus sample ingested, pages in Chromium.

An admin and an API token are created with the real ``secloop server`` CLI; the
reports go in through the API with that token. Debian's headless Chromium, driven
over its DevTools pipe (tests/integration/server/cdp.py), logs in through the form
with the password, reads each page's DOM, triages a finding and takes screenshots;
the test asserts the counts in the DOM against the API, the audit trail's user, and
that the screenshots are PNG files. Skipped, saying why, without Chromium. The
screenshots are kept in ``$SECLOOP_SCREENSHOT_DIR`` (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from secloop.server.intel import FeedSource, update
from secloop.server.storage.db import make_engine, session_factory
from tests.conftest import corpus_path
from tests.integration.server.cdp import Browser

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SAMPLES = ("trivy/legacy_many_vulns.json", "trivy/scheme_2_many_vulns.json")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (Debian package `chromium`)")
    data = tmp_path_factory.mktemp("server")
    db_url = f"sqlite:///{data / 'e2e.db'}"
    port = _free_port()
    env = {
        **os.environ,
        "SECLOOP_SERVER_DATA_DIR": str(data),
        "SECLOOP_SERVER_DATABASE_URL": db_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "secloop.server.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, db_url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer /health within 30 s")


PASSWORD = "chromium e2e password"


def _cli(db_url: str, *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "secloop", "server", *args, "--database-url", db_url],
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _out_dir() -> Path:
    out_dir = Path(os.environ.get("SECLOOP_SCREENSHOT_DIR") or tempfile.mkdtemp())
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def _screenshot(browser: Browser, name: str) -> Path:
    path = browser.screenshot(_out_dir() / name)
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC
    return path


def _count(dom: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}" data-count="(\d+)"', dom)
    assert found is not None, f"{testid} not in the DOM"
    return int(found.group(1))


def _ingest(base: str, db_url: str, tmp_path: Path, auth: dict[str, str]) -> None:
    samples = corpus_path("defectdojo-scan-samples")
    for number, sample in enumerate(SAMPLES):
        data = (samples / sample).read_bytes()
        response = httpx.post(
            f"{base}/api/v1/scans",
            files={"file": (Path(sample).name, data)},
            data={"project": "shop", "asset": f"image-{number}", "format": "trivy"},
            headers=auth,
            timeout=60,
        )
        assert response.status_code == 201, response.text
    entry = {"cveID": "CVE-2011-3374", "dateAdded": "2024-05-01", "dueDate": "2024-05-22"}
    kev = {
        "catalogVersion": "t",
        "dateReleased": "2024-05-01T00:00:00Z",
        "vulnerabilities": [entry],
    }
    kev_file = tmp_path / "kev.json"
    kev_file.write_text(json.dumps(kev), encoding="utf-8")
    engine = make_engine(db_url)
    update(session_factory(engine), kev=FeedSource(file=kev_file), epss=None)
    engine.dispose()
    asset = httpx.get(f"{base}/api/v1/assets", headers=auth, timeout=10).json()[0]
    patched = httpx.patch(
        f"{base}/api/v1/assets/{asset['id']}", json={"exposure": "internet"}, headers=auth,
        timeout=30,
    )  # fmt: skip
    assert patched.status_code == 200, patched.text


def _log_in(browser: Browser, base: str) -> None:
    browser.call("Page.navigate", {"url": f"{base}/"})  # no session: sent to the login form
    browser.wait_for("location.pathname === '/login' && document.readyState === 'complete'")
    browser.evaluate(
        "document.querySelector('input[name=username]').value = 'ada';"
        f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form[action=\"/login\"]').submit();"
    )
    browser.wait_for("location.pathname === '/' && document.readyState === 'complete'")


def test_dashboard_in_headless_chromium(server: tuple[str, str], tmp_path: Path) -> None:
    base, db_url = server
    _cli(db_url, "user", "add", "ada", "--admin", "--password-stdin", stdin=PASSWORD)
    token = _cli(db_url, "token", "create", "--user", "ada", "--name", "e2e",
                 "--scope", "read", "--scope", "write", "--scope", "admin").strip()  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/v1/projects", timeout=10).status_code == 401
    _ingest(base, db_url, tmp_path, auth)
    (project,) = httpx.get(f"{base}/api/v1/projects", headers=auth, timeout=10).json()
    high = httpx.get(
        f"{base}/api/v1/findings", params={"severity": "HIGH", "status": ["new"], "per_page": 1},
        headers=auth, timeout=10,
    ).json()["total"]  # fmt: skip
    kev = httpx.get(
        f"{base}/api/v1/findings", params={"kev": "true"}, headers=auth, timeout=10
    ).json()

    with Browser(CHROMIUM) as browser:
        _log_in(browser, base)
        overview = browser.dom()
        assert 'data-testid="user">ada<' in overview
        assert _count(overview, "open-total") == project["open_findings"] > 0
        assert _count(overview, "open-high") == high
        assert _count(overview, "kev-total") == kev["total"] > 0
        assert re.search(r'data-testid="debt-chart" data-points="(\d+)"', overview)
        assert "<polyline" in overview
        assert "in KEV since 2024-05-01" in overview
        shot = _screenshot(browser, "overview.png")

        listing = browser.goto(f"{base}/projects/shop?severity=HIGH")
        assert _count(listing, "findings-total") == high
        _screenshot(browser, "project.png")
        first = kev["items"][0]["id"]
        detail = browser.goto(f"{base}/findings/{first}")
        assert "internet-facing → P1" in detail
        assert 'data-testid="sources"' in detail
        _screenshot(browser, "finding.png")
        _triage(browser, first)

        history = httpx.get(
            f"{base}/api/v1/findings/{first}/history", headers=auth, timeout=10
        ).json()
        assert (history[-1]["user"], history[-1]["new_status"]) == ("ada", "triaged")
        browser.evaluate("document.querySelector('form[action=\"/logout\"]').submit()")
        browser.wait_for("location.pathname === '/login' && document.readyState === 'complete'")
    assert shot.exists()
    if keep := os.environ.get("SECLOOP_SCREENSHOT_DIR"):
        assert shutil.disk_usage(keep).free > 0


def _triage(browser: Browser, finding: int) -> None:
    """Change the status with the detail page's form (its CSRF token included)."""
    browser.evaluate(
        "const form = document.querySelector('form[action$=\"/status\"]');"
        "form.querySelector('select[name=status]').value = 'triaged';"
        "form.querySelector('input[name=reason]').value = 'seen in chromium';"
        "form.submit();"
    )
    browser.wait_for(
        f"location.pathname === '/findings/{finding}' && document.readyState === 'complete'"
        " && document.body.innerText.includes('seen in chromium')"
    )
