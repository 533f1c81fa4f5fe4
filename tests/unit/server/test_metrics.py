"""``/metrics``: scraped and parsed with prometheus_client's own parser."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from secloop.server.observability import FindingsCollector, JobStoreCollector
from secloop.server.storage.db import make_engine, session_factory, upgrade
from secloop.server.workers.interface import WorkerError
from secloop.server.workers.store import MemoryJobStore
from tests.unit.server.conftest import make_client, upload
from tests.unit.server.reports import grype_ghsa, trivy_vulns

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(client: TestClient, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return _parse(response.text)


def test_requests_ingests_and_findings_are_exported(client: TestClient) -> None:
    upload(client, trivy_vulns(("CVE-2022-0002", "x", "1"), ("CVE-2022-0003", "y", "2")))
    upload(client, grype_ghsa("GHSA-aaaa-bbbb-cccc", "CVE-2023-0001", "django", "3.2.0"))
    assert client.get("/api/v1/scans/1").status_code == 200
    assert client.get("/api/v1/scans/999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    bad = client.post("/api/v1/scans", files={"file": ("r.json", b"{}")}, data={"project": "p"})
    assert bad.status_code == 422
    samples = _scrape(client)

    route = (
        "secloop_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/scans/{scan_id}")),
    )
    assert samples[(route[0], (*route[1], ("status", "200")))] == 1
    assert samples[(route[0], (*route[1], ("status", "404")))] == 1
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert samples[("secloop_http_requests_total", unmatched)] == 1
    upload_route = (("method", "POST"), ("route", "/api/v1/scans"), ("status", "201"))
    assert samples[("secloop_http_requests_total", upload_route)] == 2
    count = (
        "secloop_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/api/v1/scans")),
    )
    assert samples[count] == 3

    assert samples[("secloop_ingests_total", (("outcome", "done"),))] == 2
    assert samples[("secloop_ingests_total", (("outcome", "failed"),))] == 1
    assert samples[("secloop_ingest_duration_seconds_count", ())] == 3
    assert samples[("secloop_ingest_duration_seconds_sum", ())] > 0
    assert samples[("secloop_ingested_findings_total", ())] == 3
    assert samples[("secloop_findings", (("severity", "high"), ("status", "new")))] == 2
    assert samples[("secloop_findings", (("severity", "critical"), ("status", "new")))] == 1
    assert samples[("secloop_job_store_up", ())] == 1


def test_job_counts_follow_background_imports(tmp_path: Path) -> None:
    from tests.unit.server.conftest import wait_for_job

    with make_client(tmp_path, async_threshold_bytes=10) as client:
        accepted = client.post(
            "/api/v1/scans", files={"file": ("r.json", trivy_vulns(("CVE-1", "a", "1")))},
            data={"project": "p"},
        )  # fmt: skip
        assert wait_for_job(client, accepted.json())["state"] == "done"
        samples = _scrape(client)
    assert samples[("secloop_jobs_submitted_total", (("kind", "import"),))] == 1
    assert samples[("secloop_jobs_finished_total", (("kind", "import"), ("outcome", "done")))] == 1
    assert samples[("secloop_jobs_queued", (("kind", "import"),))] == 0
    assert samples[("secloop_jobs_running", (("kind", "import"),))] == 0


def test_metrics_can_require_a_token(tmp_path: Path) -> None:
    with make_client(tmp_path, metrics_token="scrape-me") as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert ("secloop_job_store_up", ()) in _scrape(client, Authorization="Bearer scrape-me")


class _DownStore(MemoryJobStore):
    def counters(self) -> dict[str, float]:
        raise WorkerError("job store: cannot read counters: connection refused")


def test_an_unreachable_job_store_is_reported_not_fatal() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    registry.register(JobStoreCollector(_DownStore()))
    samples = _parse(generate_latest(registry).decode())
    assert samples == {("secloop_job_store_up", ()): 0}


def test_finding_counts_are_cached_briefly(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    queries = 0

    def counting() -> object:
        nonlocal queries
        queries += 1
        return sessions()

    cached = FindingsCollector(counting, cache_seconds=60)  # type: ignore[arg-type]
    list(cached.collect())
    list(cached.collect())
    fresh = FindingsCollector(counting, cache_seconds=0)  # type: ignore[arg-type]
    list(fresh.collect())
    list(fresh.collect())
    assert queries == 3
    engine.dispose()


def test_route_templates_keep_the_prefix_and_mounts() -> None:
    from starlette.routing import Mount, Route

    from secloop.server.observability import route_template

    def endpoint() -> None:
        return None

    relative = Route("/scans/{scan_id}", endpoint)
    assert (
        route_template({"route": relative, "path": "/api/v1/scans/7"}) == "/api/v1/scans/{scan_id}"
    )
    full = Route("/health", endpoint)
    assert route_template({"route": full, "path": "/health"}) == "/health"
    files = Route("/files/{name:path}", endpoint)
    assert route_template({"route": files, "path": "/files/a/b"}) == "/files/{name:path}"
    static = Mount("/static", routes=[])
    assert route_template({"route": static, "path": "/static/app.css"}) == "/static/{path}"
    assert route_template({"path": "/nowhere"}) == "unmatched"
