"""End to end: the real app under uvicorn, a corpus sample ingested, pages in Chromium.

Debian's headless Chromium loads each page (``--dump-dom`` for the DOM after parsing,
``--screenshot`` for a PNG); the test asserts the counts in the DOM against the API
and that the screenshots are PNG files. Skipped, saying why, without Chromium. The
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
    env.pop("SECLOOP_SERVER_API_TOKEN", None)
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


def _chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="secloop-chromium-") as profile:
        result = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", *args],
            capture_output=True, timeout=90, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result.stdout.decode("utf-8", errors="replace")


def _screenshot(url: str, name: str) -> Path:
    out_dir = Path(os.environ.get("SECLOOP_SCREENSHOT_DIR") or tempfile.mkdtemp())
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    _chromium(f"--screenshot={path}", "--window-size=1280,1800", "--hide-scrollbars", url)
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC
    return path


def _count(dom: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}" data-count="(\d+)"', dom)
    assert found is not None, f"{testid} not in the DOM"
    return int(found.group(1))


def _ingest(base: str, db_url: str, tmp_path: Path) -> None:
    samples = corpus_path("defectdojo-scan-samples")
    for number, sample in enumerate(SAMPLES):
        data = (samples / sample).read_bytes()
        response = httpx.post(
            f"{base}/api/v1/scans",
            files={"file": (Path(sample).name, data)},
            data={"project": "shop", "asset": f"image-{number}", "format": "trivy"},
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
    asset = httpx.get(f"{base}/api/v1/assets", timeout=10).json()[0]
    httpx.patch(f"{base}/api/v1/assets/{asset['id']}", json={"exposure": "internet"}, timeout=30)


def test_dashboard_in_headless_chromium(server: tuple[str, str], tmp_path: Path) -> None:
    base, db_url = server
    _ingest(base, db_url, tmp_path)
    (project,) = httpx.get(f"{base}/api/v1/projects", timeout=10).json()
    high = httpx.get(
        f"{base}/api/v1/findings", params={"severity": "HIGH", "status": ["new"], "per_page": 1},
        timeout=10,
    ).json()["total"]  # fmt: skip
    kev = httpx.get(f"{base}/api/v1/findings", params={"kev": "true"}, timeout=10).json()

    overview = _chromium("--dump-dom", f"{base}/")
    assert _count(overview, "open-total") == project["open_findings"] > 0
    assert _count(overview, "open-high") == high
    assert _count(overview, "kev-total") == kev["total"] > 0
    assert re.search(r'data-testid="debt-chart" data-points="(\d+)"', overview)
    assert "<polyline" in overview
    assert "in KEV since 2024-05-01" in overview
    shot = _screenshot(f"{base}/", "overview.png")

    listing = _chromium("--dump-dom", f"{base}/projects/shop?severity=HIGH")
    assert _count(listing, "findings-total") == high
    first = kev["items"][0]["id"]
    detail = _chromium("--dump-dom", f"{base}/findings/{first}")
    assert "internet-facing → P1" in detail
    assert 'data-testid="sources"' in detail
    _screenshot(f"{base}/projects/shop", "project.png")
    _screenshot(f"{base}/findings/{first}", "finding.png")
    assert shot.exists()
    if keep := os.environ.get("SECLOOP_SCREENSHOT_DIR"):
        assert shutil.disk_usage(keep).free > 0
