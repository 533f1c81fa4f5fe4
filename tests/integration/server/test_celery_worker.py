"""Large imports through a real Celery worker and the machine's Redis (127.0.0.1:6379).

The test starts ``secloop server worker`` as a subprocess sharing a SQLite file with
the API under test, uploads reports over the async threshold, and polls their jobs
until the worker has finished them. Redis DB 13 and a random key prefix keep the
test's keys apart; only keys under that prefix are deleted afterwards. Skipped,
saying why, when Redis does not answer; CI starts one (see .ci/run).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from secloop.server.app import create_app
from secloop.server.settings import ServerSettings
from tests.unit.server.conftest import findings, wait_for_job
from tests.unit.server.reports import trivy_vulns

pytestmark = pytest.mark.integration

BROKER = "redis://127.0.0.1:6379/13"
REPORT = trivy_vulns(("CVE-2021-44228", "log4j-core", "2.14.0"), ("CVE-2022-0002", "x", "1"))


def _redis_answers() -> str | None:
    import redis

    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        return f"Redis at {BROKER} does not answer: {err}"
    return None


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[ServerSettings]:
    import redis

    reason = _redis_answers()
    if reason is not None:
        pytest.skip(reason)
    prefix = f"secloop-test-{secrets.token_hex(6)}:"
    yield ServerSettings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'shared.db'}",
        broker_url=BROKER,
        job_key_prefix=prefix,
        async_threshold_bytes=10,
    )
    client = redis.Redis.from_url(BROKER)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def worker(settings: ServerSettings, tmp_path: Path) -> Iterator[Path]:
    env = {
        **os.environ,
        "SECLOOP_SERVER_DATA_DIR": str(settings.data_dir),
        "SECLOOP_SERVER_DATABASE_URL": settings.database_url,
        "SECLOOP_SERVER_BROKER_URL": settings.broker_url,
        "SECLOOP_SERVER_JOB_KEY_PREFIX": settings.job_key_prefix,
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "secloop", "server", "worker", "--concurrency", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield log
        finally:
            process.send_signal(signal.SIGTERM)  # Celery's warm shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_real_worker_imports_large_uploads(settings: ServerSettings, worker: Path) -> None:
    with TestClient(create_app(settings)) as client:
        accepted = client.post(
            "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p"}
        )
        assert accepted.status_code == 202, accepted.text
        job = wait_for_job(client, accepted.json(), seconds=90)
        assert job["state"] == "done", (job, worker.read_text(errors="replace")[-3000:])
        assert job["kind"] == "import"
        assert job["started_at"] is not None
        assert job["finished_at"] is not None
        assert "2 findings: 2 new" in job["result"]
        scan = client.get(accepted.json()["status_url"]).json()
        assert (scan["status"], scan["counts"]["new"]) == ("done", 2)
        stored = findings(client, project="p")
        assert sorted(f["rule_id"] for f in stored) == ["CVE-2021-44228", "CVE-2022-0002"]
        assert not list(settings.spool.iterdir())  # the spooled upload is removed

        broken = client.post(
            "/api/v1/scans", files={"file": ("b.json", b'{"nope": 1}' * 3)}, data={"project": "p"}
        )
        failed = wait_for_job(client, broken.json(), seconds=90)
        assert failed["state"] == "failed"
        assert "cannot tell the report format" in failed["error"]

        # The worker's counters reach the API's /metrics through Redis.
        scraped = client.get("/metrics").text
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(scraped)
            for s in family.samples
        }
        done_key = ("secloop_jobs_finished_total", (("kind", "import"), ("outcome", "done")))
        failed_key = ("secloop_jobs_finished_total", (("kind", "import"), ("outcome", "failed")))
        assert samples[done_key] == 1
        assert samples[failed_key] == 1
        assert samples[("secloop_ingests_total", (("outcome", "done"),))] == 1
