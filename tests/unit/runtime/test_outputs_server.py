"""``--output server:URL``: alerts become ``runtime`` findings on a real findings server.

The server (the FastAPI app on SQLite) runs under uvicorn on loopback; ``secloop
detect`` uploads through the same client as ``secloop scan --upload``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from tests.conftest import CORPUS_ROOT, corpus_path

pytest.importorskip("fastapi", reason="the server extra is not installed")
httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

LEGACY = CORPUS_ROOT / "falco-legacy-tests"
PINNED = ["pinned-rules/falco_rules-1.0.1.yaml", "pinned-rules/k8s_audit_rules-0.6.0.yaml"]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from secloop.server.app import create_app
    from secloop.server.settings import ServerSettings

    monkeypatch.delenv("SECLOOP_SERVER_TOKEN", raising=False)
    settings = ServerSettings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 's.db'}")
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert thread.is_alive(), "server did not start"
        assert time.monotonic() < deadline, "server did not start in time"
        time.sleep(0.02)
    port = running.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(30)


def runtime_findings(url: str, project: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:  # an upload may be ingested in the background (HTTP 202)
        response = httpx.get(
            f"{url}/api/v1/findings",
            params={"project": project, "kind": "runtime", "per_page": 500},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def detect(url: str, events: Path, *extra: str) -> Any:
    args = ["--source", "k8s_audit", "--input", str(events)]
    for rules_file in PINNED:
        args += ["--rules", str(LEGACY / rules_file)]
    args += ["--output", f"server:{url}", "--project", "cluster-a", "--asset", "prod", *extra]
    return CliRunner().invoke(detect_command, args)


def test_alerts_become_runtime_findings_on_the_server(server: str, tmp_path: Path) -> None:
    corpus_path("falco-legacy-tests")
    events = LEGACY / "trace_files/k8s_audit/create_nginx_pod_privileged.json"
    jsonl = tmp_path / "alerts.jsonl"
    result = detect(server, events, "--output", f"jsonl:{jsonl}")
    assert result.exit_code == 0, result.output
    assert "failed" not in result.stderr
    [alert] = [json.loads(line) for line in jsonl.read_text().splitlines()]
    [finding] = runtime_findings(server, "cluster-a")
    assert finding["kind"] == "runtime"
    assert finding["rule_id"] == alert["rule"] == "Create Privileged Pod"
    assert finding["severity"] == "MEDIUM"  # WARNING
    assert "default/nginx-deployment-5cdcc99dbf-rgw6z" in finding["location"]
    detail = httpx.get(f"{server}/api/v1/findings/{finding['id']}", timeout=10).json()
    assert detail["message"] == alert["output"]


def test_the_same_alert_again_is_the_same_finding(server: str) -> None:
    corpus_path("falco-legacy-tests")
    events = LEGACY / "trace_files/k8s_audit/create_nginx_pod_privileged.json"
    for _ in range(2):
        assert detect(server, events).exit_code == 0
    findings = runtime_findings(server, "cluster-a")
    assert len(findings) == 1


def test_an_unreachable_server_is_counted_and_stdout_still_prints(tmp_path: Path) -> None:
    corpus_path("falco-legacy-tests")
    events = LEGACY / "trace_files/k8s_audit/create_nginx_pod_privileged.json"
    result = detect("http://127.0.0.1:9", events, "--output", "stdout")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rule"] == "Create Privileged Pod"
    assert "output server: 0 delivered, 1 failed, 0 dropped" in result.stderr
    assert "cannot upload to http://127.0.0.1:9/api/v1/scans" in result.stderr
