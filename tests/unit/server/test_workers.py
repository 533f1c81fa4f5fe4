"""The job runner: payloads, stores, the in-process runner, each job, the scheduler, the API."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from secloop.cli.server import server_command
from secloop.server.correlate import PeerIndex
from secloop.server.service import Upload, start_scan
from secloop.server.settings import ServerSettings
from secloop.server.storage.db import make_engine, session_factory, upgrade
from secloop.server.workers import WorkerContext, start_scheduler, start_workers
from secloop.server.workers.celery_app import CeleryRunner, beat_schedule
from secloop.server.workers.execute import run_job
from secloop.server.workers.inprocess import InProcessRunner
from secloop.server.workers.interface import JobKind, JobRecord, JobState, WorkerError
from secloop.server.workers.jobs import (
    ImportJob,
    IntelRefreshJob,
    Job,
    NotifyJob,
    RescanJob,
    WebhookJob,
    job_from_payload,
    kind_of,
    to_payload,
)
from secloop.server.workers.schedule import Scheduler, scheduled_jobs
from secloop.server.workers.store import MemoryJobStore, RedisJobStore
from tests.unit.server.conftest import findings, make_client, wait_for_job
from tests.unit.server.loopback import receiver
from tests.unit.server.reports import PRIVILEGED_POD, trivy_vulns
from tests.unit.server.test_intel import EPSS_CSV, KEV

REPORT = trivy_vulns(("CVE-2021-44228", "log4j-core", "2.14.0"))
JOBS: list[Job] = [
    ImportJob(
        scan_id=1, spool_file="/tmp/x", source="r.json", project="p", asset=None,
        asset_kind="repository", fmt="trivy", full_scan=True, user="u",
    ),
    IntelRefreshJob(kev=False),
    RescanJob(project="p", targets=("/src", "registry.example.com/app:1")),
    WebhookJob(target="ops", event="finding.sla_breach", delivery_id="d", body="{}", attempt=2),
    NotifyJob(),
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _settings(tmp_path: Path, **values: Any) -> ServerSettings:
    return ServerSettings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'w.db'}", **values
    )


@pytest.fixture
def context(tmp_path: Path) -> Iterator[WorkerContext]:
    settings = _settings(tmp_path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    workers = start_workers(settings, session_factory(engine), PeerIndex.from_registry())
    yield workers
    workers.runner.close()
    engine.dispose()


def _wait(context: WorkerContext, job_id: str, seconds: float = 30) -> JobRecord:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = context.runner.status(job_id)
        if record is not None and record.state in (JobState.DONE, JobState.FAILED):
            return record
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish: {context.runner.status(job_id)}")


# Payloads and stores ------------------------------------------------------------------


@pytest.mark.parametrize("job", JOBS, ids=lambda j: type(j).__name__)
def test_every_job_survives_its_json_payload(job: Job) -> None:
    payload = json.loads(json.dumps(to_payload(job)))
    assert job_from_payload(payload) == job
    assert payload["kind"] == kind_of(job).value


def test_every_job_kind_has_a_job_type() -> None:
    assert {kind_of(job) for job in JOBS} == set(JobKind)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "expected an object"),
        ({"kind": "import"}, "expected an object"),
        ({"kind": "mine-bitcoin", "fields": {}}, "unknown kind 'mine-bitcoin'"),
        ({"kind": "rescan", "fields": {"project": "p"}}, r"\(rescan\): targets: Field required"),
        (
            {"kind": "webhook", "fields": {**to_payload(JOBS[3])["fields"], "attempt": "x"}},
            "attempt",
        ),
    ],
)
def test_bad_payloads_are_refused_with_the_reason(payload: object, message: str) -> None:
    with pytest.raises(WorkerError, match=message):
        job_from_payload(payload)


def test_kind_of_refuses_what_is_no_job() -> None:
    with pytest.raises(WorkerError, match="not a job: str"):
        kind_of("import")  # type: ignore[arg-type]


def _exercise(store: MemoryJobStore | RedisJobStore) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    record = JobRecord(id="abc", kind=JobKind.IMPORT, state=JobState.QUEUED, created_at=now)
    store.create(record)
    assert store.get("abc") == record
    assert store.get("missing") is None
    done = JobRecord(
        id="abc", kind=JobKind.IMPORT, state=JobState.DONE, created_at=now,
        started_at=now, finished_at=now, result="ok", error="",
    )  # fmt: skip
    store.update(done)
    assert store.get("abc") == done
    store.add("ingests|done")
    store.add("ingest_seconds_sum", 0.25)
    store.add("ingest_seconds_sum", 0.5)
    assert store.counters() == {"ingests|done": 1, "ingest_seconds_sum": 0.75}
    assert store.claim("sla", "1:2026-01-01")
    assert not store.claim("sla", "1:2026-01-01")
    assert store.claim("sla", "1:2026-02-01")
    assert store.get_value("cursor") is None
    store.set_value("cursor", "42")
    assert store.get_value("cursor") == "42"


def test_the_memory_store() -> None:
    _exercise(MemoryJobStore())


def test_the_redis_store_keeps_its_keys_under_its_prefix() -> None:
    import redis

    url, prefix = "redis://127.0.0.1:6379/14", f"secloop-unit-{time.time_ns()}:"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis at {url} does not answer: {err}")
    store = RedisJobStore(url, prefix)
    try:
        _exercise(store)
        ours = {k.decode() for k in client.scan_iter(match=f"{prefix}*", count=1000)}
        expected = {"job:abc", "counters", "claims:sla", "value:cursor"}
        assert ours == {prefix + key for key in expected}
        assert 0 < client.ttl(f"{prefix}job:abc") <= 7 * 24 * 3600
        assert 0 < client.ttl(f"{prefix}claims:sla") <= 90 * 24 * 3600
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        store.close()


def test_an_unreachable_redis_is_a_worker_error() -> None:
    store = RedisJobStore(f"redis://127.0.0.1:{_free_port()}/0", "x:")
    with pytest.raises(WorkerError, match="job store: cannot read counters"):
        store.counters()
    with pytest.raises(WorkerError, match="broker_url"):
        RedisJobStore("nonsense://", "x:")


# The in-process runner and run_job ----------------------------------------------------


def test_the_runner_needs_a_context_and_stops_taking_jobs_when_closed() -> None:
    runner = InProcessRunner(1)
    with pytest.raises(WorkerError, match="call bind"):
        runner.submit(NotifyJob())
    runner.close()


def test_a_delayed_job_runs_later_and_a_closed_runner_cancels_it(context: WorkerContext) -> None:
    started = time.monotonic()
    record = _wait(context, context.runner.submit(NotifyJob(), delay_seconds=0.2))
    assert record.state is JobState.DONE
    assert time.monotonic() - started >= 0.2
    assert record.result == "0 SLA-breach and 0 status-change deliveries queued"
    pending = context.runner.submit(NotifyJob(), delay_seconds=30)
    context.runner.close()
    status = context.runner.status(pending)
    assert status is not None
    assert status.state is JobState.QUEUED
    with pytest.raises(WorkerError, match="closed"):
        context.runner.submit(NotifyJob())


def test_a_failing_job_records_its_error(context: WorkerContext) -> None:
    job_id = context.runner.submit(
        WebhookJob(target="gone", event="finding.sla_breach", delivery_id="d", body="{}")
    )
    record = _wait(context, job_id)
    assert record.state is JobState.FAILED
    assert record.error == "webhook target 'gone' is no longer configured"
    assert record.finished_at is not None
    assert context.runner.store.counters()["jobs_finished|webhook|failed"] == 1


def test_a_crashing_job_is_recorded_not_left_running(context: WorkerContext) -> None:
    def broken() -> Any:
        raise RuntimeError("database driver bug")

    from dataclasses import replace

    crashing = replace(context, sessions=broken)  # type: ignore[arg-type]
    run_job(crashing, "j1", JOBS[0])
    record = context.runner.status("j1")
    assert record is not None
    assert record.state is JobState.FAILED
    assert record.error == "internal error: RuntimeError: database driver bug"


def test_a_finished_job_is_not_run_again(context: WorkerContext) -> None:
    job_id = context.runner.submit(NotifyJob())
    first = _wait(context, job_id)
    run_job(context, job_id, NotifyJob())  # a redelivered message
    assert context.runner.status(job_id) == first


# The jobs -----------------------------------------------------------------------------


def _pending_scan(context: WorkerContext, tmp_path: Path, data: bytes) -> ImportJob:
    upload = Upload(
        data=data, source="r.json", project="p", asset=None, asset_kind="repository",
        fmt=None, full_scan=True, user="u",
    )  # fmt: skip
    scan_id = start_scan(context.sessions, upload)
    spooled = tmp_path / f"scan-{scan_id}.upload"
    spooled.write_bytes(data)
    return ImportJob(
        scan_id=scan_id, spool_file=str(spooled), source="r.json", project="p", asset=None,
        asset_kind="repository", fmt=None, full_scan=True, user="u",
    )  # fmt: skip


def test_an_import_runs_once(context: WorkerContext, tmp_path: Path) -> None:
    job = _pending_scan(context, tmp_path, REPORT)
    first = _wait(context, context.runner.submit(job))
    assert first.result == f"scan {job.scan_id}: 1 findings: 1 new, 0 merged, 0 reopened, 0 fixed"
    assert not Path(job.spool_file).exists()
    Path(job.spool_file).write_bytes(REPORT)
    again = _wait(context, context.runner.submit(job))
    assert again.result == f"scan {job.scan_id} is already done; nothing to do"
    assert not Path(job.spool_file).exists()


def test_an_import_without_its_spooled_upload_fails_the_scan(
    context: WorkerContext, tmp_path: Path
) -> None:
    job = _pending_scan(context, tmp_path, REPORT)
    Path(job.spool_file).unlink()
    record = _wait(context, context.runner.submit(job))
    assert record.state is JobState.FAILED
    assert "cannot read the spooled upload" in record.error
    from secloop.server.storage import repository

    with context.sessions() as session:
        scan = repository.get_scan(session, job.scan_id)
        assert (scan.status, scan.error) == ("failed", record.error)


def test_an_upload_that_cannot_be_spooled_fails_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with make_client(tmp_path, async_threshold_bytes=10, spool_dir=blocker / "spool") as client:
        response = client.post(
            "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p"}
        )
        assert response.status_code == 503
        assert response.json()["detail"].startswith("scan 1: cannot queue the import:")
        assert client.get("/api/v1/scans/1").json()["status"] == "failed"


def test_a_rescan_scans_with_secloop_and_reports_each_failed_target(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "pod.yaml").write_text(PRIVILEGED_POD, encoding="utf-8")
    unreachable = f"127.0.0.1:{_free_port()}/app:1"
    targets = (str(source), unreachable, "Not An Image!")
    with make_client(tmp_path, rescan_targets=targets, rescan_project="nightly") as client:
        accepted = client.post("/api/v1/jobs/rescan")
        assert accepted.status_code == 202
        job = wait_for_job(client, {"job_url": accepted.json()["status_url"]})
        assert job["state"] == "failed"
        assert job["error"].startswith("rescan: 2 of 3 failed: ")
        assert unreachable in job["error"]
        assert "Not An Image!" in job["error"]
        stored = findings(client, project="nightly")
    assert stored, "the directory's misconfigurations were ingested"
    assert {f["kind"] for f in stored} == {"misconfiguration"}


def test_a_rescan_needs_configured_targets(client: TestClient) -> None:
    response = client.post("/api/v1/jobs/rescan")
    assert response.status_code == 409
    assert response.json()["detail"] == "no rescan_targets configured"


def test_an_intel_refresh_job_loads_both_feeds(tmp_path: Path) -> None:
    files = {
        "/kev.json": json.dumps(KEV).encode(),
        "/epss.csv.gz": gzip.compress(EPSS_CSV.encode()),
    }
    with receiver(files=files) as feeds:
        settings = {
            "intel_kev_url": f"{feeds.url}/kev.json",
            "intel_epss_url": f"{feeds.url}/epss.csv.gz",
        }
        with make_client(tmp_path, **settings) as client:
            client.post("/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p"})
            accepted = client.post("/api/v1/jobs/intel-refresh")
            assert accepted.status_code == 202
            job = wait_for_job(client, {"job_url": accepted.json()["status_url"]})
            assert job["state"] == "done", job
            kev, epss = job["result"].split("; ")
            assert kev == "kev: 1 entries, 1 findings re-prioritised"
            assert epss == "epss: 2 entries, 1 findings re-prioritised"
            (log4j,) = findings(client, project="p")
            assert log4j["kev"] is True


def test_unknown_jobs_are_404(client: TestClient) -> None:
    assert client.get("/api/v1/jobs/0123abcd").status_code == 404
    assert client.get("/api/v1/jobs/not..valid").status_code == 404


# Schedules, Celery wiring, the CLI ----------------------------------------------------


def test_schedules_are_off_unless_asked_for(tmp_path: Path) -> None:
    assert scheduled_jobs(_settings(tmp_path)) == []
    hooks = [{"name": "ops", "url": "https://h.example.com/", "secret": "s" * 16}]
    busy = _settings(
        tmp_path, intel_refresh_hours=6, rescan_hours=24, rescan_targets=("/src",),
        notify_minutes=2, webhooks=hooks, broker_url="redis://127.0.0.1:1/0",
    )  # fmt: skip
    assert [(name, period) for name, period, _ in scheduled_jobs(busy)] == [
        ("intel-refresh", 21600), ("rescan", 86400), ("notify", 120),
    ]  # fmt: skip
    beat = beat_schedule(busy)
    assert beat["rescan"]["task"] == "secloop.run_job"
    assert beat["rescan"]["args"][1] == to_payload(RescanJob(project="rescans", targets=("/src",)))
    assert beat["notify"]["schedule"].total_seconds() == 120


def test_the_scheduler_submits_due_jobs_and_survives_a_broker_outage() -> None:
    class Outage(InProcessRunner):
        def submit(self, job: Job, *, delay_seconds: float = 0.0) -> str:
            submitted.append(job)
            if isinstance(job, RescanJob):
                raise WorkerError("broker down")
            return "id"

    submitted: list[Job] = []
    now = [0.0]
    runner = Outage(1)
    scheduler = Scheduler(
        runner, [("notify", 10, NotifyJob()), ("rescan", 15, RescanJob(project="p", targets=()))],
        clock=lambda: now[0],
    )  # fmt: skip
    assert scheduler.tick() == []
    now[0] = 10
    assert scheduler.tick() == ["notify"]
    now[0] = 15
    assert scheduler.tick() == []  # the rescan failed to queue and is logged
    now[0] = 20
    assert scheduler.tick() == ["notify"]
    assert len(submitted) == 3
    runner.close()


def test_the_in_process_scheduler_starts_only_with_a_schedule(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    for values, expected in (({}, False), ({"intel_refresh_hours": 1}, True)):
        context = start_workers(
            _settings(tmp_path, **values), session_factory(engine), PeerIndex.from_registry()
        )
        scheduler = start_scheduler(context)
        assert (scheduler is not None) is expected
        if scheduler is not None:
            scheduler.stop()
        context.runner.close()
    engine.dispose()


def test_the_celery_runner_reports_an_unreachable_broker(tmp_path: Path) -> None:
    runner = CeleryRunner(_settings(tmp_path, broker_url=f"redis://127.0.0.1:{_free_port()}/0"))
    with pytest.raises(WorkerError, match="job store"):
        runner.submit(NotifyJob())
    runner.close()
    with pytest.raises(WorkerError, match="only Redis brokers"):
        CeleryRunner(_settings(tmp_path, broker_url="amqp://guest@localhost//"))


def test_the_worker_command_needs_a_broker(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        server_command, ["worker", "--database-url", f"sqlite:///{tmp_path / 'c.db'}"],
        env={"SECLOOP_SERVER_BROKER_URL": ""},
    )  # fmt: skip
    assert result.exit_code != 0
    assert "a worker needs a broker" in str(result.exception)


def test_a_worker_process_registers_the_job_task(tmp_path: Path) -> None:
    """The task a Celery worker runs, called directly (beat sends no job id)."""
    import redis

    prefix = f"secloop-unit-{time.time_ns()}:"
    settings = _settings(tmp_path, broker_url="redis://127.0.0.1:6379/14", job_key_prefix=prefix)
    client = redis.Redis.from_url(settings.broker_url)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis at {settings.broker_url} does not answer: {err}")
    from secloop.server.workers.celery_app import TASK_NAME, worker_app

    app = worker_app(settings)
    try:
        app.tasks[TASK_NAME](None, to_payload(NotifyJob()))
        store = RedisJobStore(settings.broker_url, prefix)
        assert store.counters() == {
            "jobs_submitted|notify": 1,
            "jobs_started|notify": 1,
            "jobs_finished|notify|done": 1,
        }
        store.close()
        with pytest.raises(WorkerError, match="unknown kind"):
            app.tasks[TASK_NAME]("id", {"kind": "nope", "fields": {}})
    finally:
        app.close()
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
