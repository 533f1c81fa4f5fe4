"""examples/shop end to end: the real ``secloop scan`` process, then the server's ingest.

The example's Ingress, LoadBalancer Service and hostNetwork make its API Deployment
reachable from the internet (examples/shop/PROBLEMS.md, "Exposure"); the JSON report
says so, and the server ranks that Deployment's findings by it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import PROJECT_ROOT
from tests.unit.server.conftest import findings, make_client, upload

EXAMPLE = PROJECT_ROOT / "examples" / "shop"


def _scan() -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "secloop", "scan", str(EXAMPLE), "--scanners", "misconfig",
         "--format", "json", "--quiet"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, check=False, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr  # the example has findings
    document: dict[str, Any] = json.loads(completed.stdout)
    return document


def test_shop_workloads_in_the_json_report_and_their_priority_on_the_server(
    tmp_path: Path,
) -> None:
    document = _scan()
    workloads = {
        f"{w['resource']['kind']}/{w['resource'].get('namespace', '-')}/{w['resource']['name']}": w
        for w in document["workloads"]
    }
    api = workloads["Deployment/-/shop-api"]
    assert api["exposure"] == "internet"
    assert api["paths"] == [
        "Ingress shop-api (host shop.example.com) → Service shop-api:80 → Deployment shop-api",
        "Service shop-api:80 (LoadBalancer) → Deployment shop-api",
        "hostNetwork on Deployment shop-api",
    ]
    assert workloads["CronJob/shop/shop-purge-resets"]["exposure"] == "none"

    client: TestClient
    with make_client(tmp_path) as client:
        upload(client, json.dumps(document).encode("utf-8"), project="shop", asset="repo")
        rows = findings(client, project="shop")
    deployment = [f for f in rows if f["location"].startswith("Deployment/shop-api ")]
    assert deployment
    reason = "reachable from the internet: Ingress shop-api (host shop.example.com)"
    assert all(reason in f["priority_explanation"] for f in deployment)
    others = [f for f in rows if f not in deployment]
    assert others  # the Dockerfile's and Compose file's findings: no workload, no reason
    assert not any("reachable" in f["priority_explanation"] for f in others)
