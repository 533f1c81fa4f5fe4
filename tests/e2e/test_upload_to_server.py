"""``secloop scan --upload``: a real ``secloop server`` process receives the report."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytest.importorskip("fastapi", reason="the server extra is not installed")
httpx = pytest.importorskip("httpx")

EXAMPLE = PROJECT_ROOT / "examples" / "shop"
PASSWORD = "e2e admin password"
TOKEN: dict[str, str] = {}  # the API token the CLI printed, filled by the server fixture


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "secloop", "server", *args],
        input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "SECLOOP_SERVER_DATA_DIR": str(tmp_path_factory.mktemp("server"))}
    _server_cli(env, "user", "add", "ci", "--admin", "--password-stdin", stdin=PASSWORD)
    TOKEN["ci"] = _server_cli(
        env, "token", "create", "--user", "ci", "--name", "e2e", "--scope", "write"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "secloop", "server", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("secloop server did not become healthy within 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _scan_and_upload(url: str, report: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "secloop",
            "scan",
            str(EXAMPLE),
            "--quiet",
            "--exit-code",
            "0",
            "--scanners",
            "secret,misconfig,python",
            "--format",
            "json",
            "--output",
            str(report),
            "--upload",
            url,
            "--project",
            "shop",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "SECLOOP_SERVER_TOKEN": TOKEN["ci"]},
        cwd=PROJECT_ROOT,
    )


def _server_findings(url: str) -> int:
    response = httpx.get(
        f"{url}/api/v1/findings",
        params={"project": "shop", "limit": 1},
        headers={"Authorization": f"Bearer {TOKEN['ci']}"},
        timeout=30,
    )
    response.raise_for_status()
    total: int = response.json()["total"]
    return total


def test_upload_files_every_finding_once(server: str, tmp_path: Path) -> None:
    report = tmp_path / "shop.json"
    first = _scan_and_upload(server, report)
    assert first.returncode == 0, first.stderr
    findings = json.loads(report.read_text())["findings"]
    assert findings
    assert _server_findings(server) == len(findings)
    second = _scan_and_upload(server, report)  # a re-import of the same scan adds nothing
    assert second.returncode == 0, second.stderr
    assert _server_findings(server) == len(findings)


def test_upload_errors_are_reported_without_a_traceback(server: str, tmp_path: Path) -> None:
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "secloop",
            "scan",
            str(EXAMPLE),
            "--quiet",
            "--exit-code",
            "0",
            "--scanners",
            "secret",
            "--upload",
            server,
            "--project",
            "shop",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "SECLOOP_SERVER_TOKEN": "wrong"},
        cwd=PROJECT_ROOT,
    )
    assert refused.returncode == 3
    assert "refused the report (HTTP 401)" in refused.stderr
    assert "Traceback" not in refused.stderr
    missing = _scan_and_upload(server, tmp_path / "r.json", "--project", "")
    assert missing.returncode == 2
    assert "--upload needs --project" in missing.stderr
