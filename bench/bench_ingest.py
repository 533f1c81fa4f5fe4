"""Ingest throughput of the findings server on SQLite and PostgreSQL.

Times the whole ingest path (import, correlate, store, lifecycle; one transaction)
for the largest corpus samples and for a synthetic secloop JSON report of
``--findings`` findings (issue 7's target: 100,000 in under 30 s), first as new
findings and then as a re-import of the same report. Prints wall-clock seconds,
findings per second, and this process's CPU seconds: on a shared machine the wall
clock also counts other processes' turns, the CPU time only this one's work (on
PostgreSQL the server's share is the difference, plus waiting).

    .venv/bin/python bench/bench_ingest.py                       # SQLite + PostgreSQL
    .venv/bin/python bench/bench_ingest.py --findings 20000 --no-postgres
    .venv/bin/python bench/bench_ingest.py --runner celery     # upload -> worker -> done
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import Location
from secloop.core.package import Package
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.json_format import result_to_document
from secloop.server.correlate import PeerIndex
from secloop.server.ingest import ImportFormat, ImportLimits
from secloop.server.service import Upload, run_ingest, start_scan
from secloop.server.storage.db import make_engine, session_factory, upgrade

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "defectdojo-scan-samples"
SAMPLES = (
    ("osv_scanner/many_findings.json", ImportFormat.OSV_SCANNER),
    ("sarif/codeQL-output.sarif", ImportFormat.SARIF),
    ("bandit/many_vulns.json", ImportFormat.BANDIT),
    ("bandit/dd2.json", ImportFormat.BANDIT),
    ("trivy/legacy_many_vulns.json", ImportFormat.TRIVY),
    ("semgrep/many_vulns.json", ImportFormat.SEMGREP),
)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def synthetic_report(count: int) -> bytes:
    """A secloop JSON report with ``count`` distinct vulnerability findings."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    findings = [
        Finding(
            kind=FindingKind.VULNERABILITY,
            rule_id=f"CVE-2024-{n:06d}",
            severity=Severity(n % 5),
            title=f"CVE-2024-{n:06d} in pkg{n % 5000}",
            message="synthetic",
            location=Location(path=f"services/s{n % 200}/requirements.txt"),
            scanner="vuln",
            anchor=f"pkg{n % 5000}|CVE-2024-{n:06d}",
            package=Package.create(name=f"pkg{n % 5000}", version="1.0.0", ecosystem="PyPI"),
            vulnerability=VulnerabilityDetail(
                advisory_id=f"CVE-2024-{n:06d}",
                aliases=(f"GHSA-{n:04x}-bench-{n % 97:04d}",),
                installed_version="1.0.0",
            ),
        )
        for n in range(count)
    ]
    result = ScanResult(
        target=Target(TargetKind.DIRECTORY, "bench"),
        started_at=now,
        finished_at=now,
        tool_version="bench",
        scanners=("vuln",),
        findings=tuple(assign_fingerprints(findings)),
    )
    return json.dumps(result_to_document(result)).encode("utf-8")


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"secloop_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


def ingest_once(
    url: str, data: bytes, fmt: ImportFormat, project: str, peers: PeerIndex
) -> tuple[int, float, float]:
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    upload = Upload(
        data=data,
        source=project,
        project=project,
        asset="bench",
        asset_kind="repository",
        fmt=fmt,
        full_scan=True,
        user="bench",
    )
    started, cpu = time.perf_counter(), time.process_time()
    scan_id = start_scan(factory, upload)
    counts = run_ingest(factory, scan_id, upload, peers=peers, limits=ImportLimits())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return counts.total, elapsed, cpu


def report_line(
    backend: str, label: str, total: int, elapsed: float, cpu: float | None = None
) -> None:
    rate = total / elapsed if elapsed else float("inf")
    own = f" (cpu {cpu:6.2f} s)" if cpu is not None else ""
    print(
        f"{backend:10} {label:42} {total:>8} findings {elapsed:8.2f} s{own} "
        f"{rate:>10.0f} findings/s"
    )


def run_backend(backend: str, url: str, synthetic: bytes, count: int, peers: PeerIndex) -> None:
    for name, fmt in SAMPLES:
        path = CORPUS / name
        if path.exists():
            total, elapsed, cpu = ingest_once(url, path.read_bytes(), fmt, name, peers)
            report_line(backend, name, total, elapsed, cpu)
    total, elapsed, cpu = ingest_once(url, synthetic, ImportFormat.SECLOOP, "synthetic", peers)
    report_line(backend, f"synthetic secloop JSON, new ({count})", total, elapsed, cpu)
    total, elapsed, cpu = ingest_once(url, synthetic, ImportFormat.SECLOOP, "synthetic", peers)
    report_line(backend, f"synthetic secloop JSON, re-import ({count})", total, elapsed, cpu)


@contextmanager
def celery_worker(env: dict[str, str]) -> Iterator[None]:
    """``secloop server worker`` in a subprocess, stopped (warm shutdown) afterwards."""
    import os
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "secloop", "server", "worker", "--concurrency", "1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def wait_for_job(client: Any, report: bytes) -> dict[str, Any]:
    """Upload ``report`` (always asynchronous here) and poll its job until it ends."""
    accepted = client.post(
        "/api/v1/scans", files={"file": ("bench.json", report)}, data={"project": "b"}
    ).json()
    while True:
        job: dict[str, Any] = client.get(accepted["job_url"]).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)


def upload_through_jobs(runner: str, synthetic: bytes, count: int) -> None:
    """Time upload -> 202 -> job done through the API, with the in-process pool or Celery."""
    import contextlib

    import redis
    from fastapi.testclient import TestClient

    from secloop.server.app import create_app
    from secloop.server.settings import ServerSettings

    broker = "redis://127.0.0.1:6379/12" if runner == "celery" else ""
    prefix = f"secloop-bench-{secrets.token_hex(4)}:"
    with tempfile.TemporaryDirectory() as directory:
        settings = ServerSettings(
            data_dir=Path(directory), database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            async_threshold_bytes=0, broker_url=broker, job_key_prefix=prefix,
        )  # fmt: skip
        env = {
            "SECLOOP_SERVER_DATA_DIR": directory,
            "SECLOOP_SERVER_DATABASE_URL": settings.database_url,
            "SECLOOP_SERVER_BROKER_URL": broker,
            "SECLOOP_SERVER_JOB_KEY_PREFIX": prefix,
        }
        worker = celery_worker(env) if runner == "celery" else contextlib.nullcontext()
        with worker, TestClient(create_app(settings)) as client:
            wait_for_job(client, synthetic_report(2))  # the worker is up: not timed
            started = time.perf_counter()
            job = wait_for_job(client, synthetic)
            elapsed = time.perf_counter() - started
        if broker:
            keys = redis.Redis.from_url(broker)
            for key in keys.scan_iter(match=f"{prefix}*"):
                keys.delete(key)
    if job["state"] != "done":
        raise SystemExit(f"{runner}: the import job failed: {job['error']}")
    report_line(f"sqlite/{runner}", f"upload to job done, new ({count})", count, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--runner",
        choices=("inprocess", "celery"),
        default=None,
        help="time an upload through the API's job runner instead (celery: a real worker "
        "subprocess and the Redis at 127.0.0.1:6379 DB 12)",
    )
    args = parser.parse_args()
    peers = PeerIndex.from_registry()
    synthetic = synthetic_report(args.findings)
    print(f"synthetic report: {len(synthetic) / 1e6:.1f} MB")
    if args.runner is not None:
        upload_through_jobs(args.runner, synthetic, args.findings)
        return
    with sqlite_url() as url:
        run_backend("sqlite", url, synthetic, args.findings, peers)
    if not args.no_postgres:
        with postgres_url() as url:
            run_backend("postgresql", url, synthetic, args.findings, peers)


if __name__ == "__main__":
    main()
