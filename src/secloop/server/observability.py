"""Prometheus metrics at ``/metrics`` (not the dashboard numbers: see storage/metrics.py).

Per process: HTTP requests by route template and status, and their latency. Shared
by every process through the job store (so a Celery worker's work shows in the API's
scrape): jobs submitted, queued, running and finished, ingests and their duration,
webhook delivery outcomes. From the database, cached for a few seconds so frequent
scrapes stay cheap: findings by severity and status.

``/metrics`` requires ``Authorization: Bearer <metrics_token>`` when the setting is set.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response, status
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from secloop.core.errors import Error
from secloop.core.severity import Severity
from secloop.server.storage.db import SessionFactory
from secloop.server.storage.models import FindingRow
from secloop.server.workers.interface import JobKind, JobStore

FINDINGS_CACHE_SECONDS = 5.0
_UNMATCHED = "unmatched"  # one label for every 404 path: scanners must not explode the series


def _split(counters: dict[str, float], prefix: str) -> Iterator[tuple[list[str], float]]:
    for name, value in sorted(counters.items()):
        parts = name.split("|")
        if parts[0] == prefix:
            yield parts[1:], value


class JobStoreCollector(Collector):
    """Job, ingest and webhook counters kept in the (possibly shared) job store."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Any]:
        try:
            counters = self._store.counters()
        except Error:
            up = GaugeMetricFamily("secloop_job_store_up", "1 when the job store answers")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("secloop_job_store_up", "1 when the job store answers")
        up.add_metric([], 1)
        yield up
        yield from self._jobs(counters)
        yield from self._ingests(counters)
        webhooks = CounterMetricFamily(
            "secloop_webhook_deliveries", "Webhook delivery attempts by outcome", labels=["outcome"]
        )
        for labels, value in _split(counters, "webhook_deliveries"):
            webhooks.add_metric(labels, value)
        yield webhooks

    def _jobs(self, counters: dict[str, float]) -> Iterator[Any]:
        submitted = {k[0]: v for k, v in _split(counters, "jobs_submitted")}
        started = {k[0]: v for k, v in _split(counters, "jobs_started")}
        finished: dict[str, float] = defaultdict(float)
        done = CounterMetricFamily(
            "secloop_jobs_finished",
            "Jobs finished, by kind and outcome",
            labels=["kind", "outcome"],
        )
        for (kind, outcome), value in _split(counters, "jobs_finished"):
            done.add_metric([kind, outcome], value)
            finished[kind] += value
        total = CounterMetricFamily("secloop_jobs_submitted", "Jobs submitted", labels=["kind"])
        queued = GaugeMetricFamily(
            "secloop_jobs_queued", "Jobs waiting for a worker", labels=["kind"]
        )
        running = GaugeMetricFamily("secloop_jobs_running", "Jobs being run", labels=["kind"])
        for kind in JobKind:
            sub, run = submitted.get(kind.value, 0), started.get(kind.value, 0)
            total.add_metric([kind.value], sub)
            queued.add_metric([kind.value], max(sub - run, 0))
            running.add_metric([kind.value], max(run - finished[kind.value], 0))
        yield from (total, queued, running, done)

    def _ingests(self, counters: dict[str, float]) -> Iterator[Any]:
        ingests = CounterMetricFamily(
            "secloop_ingests", "Report ingests by outcome", labels=["outcome"]
        )
        for labels, value in _split(counters, "ingests"):
            ingests.add_metric(labels, value)
        yield ingests
        duration = SummaryMetricFamily(
            "secloop_ingest_duration_seconds", "Time to import and store one report"
        )
        duration.add_metric(
            [], count_value=int(counters.get("ingest_seconds_count", 0)),
            sum_value=counters.get("ingest_seconds_sum", 0.0),
        )  # fmt: skip
        yield duration
        findings = CounterMetricFamily("secloop_ingested_findings", "Findings read from reports")
        findings.add_metric([], counters.get("ingested_findings", 0))
        yield findings


class FindingsCollector(Collector):
    """Findings by severity and status: one GROUP BY, cached ``cache_seconds``."""

    def __init__(self, sessions: SessionFactory, cache_seconds: float = FINDINGS_CACHE_SECONDS):
        self._sessions, self._ttl = sessions, cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, list[tuple[int, str, int]]] | None = None

    def _rows(self) -> list[tuple[int, str, int]]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._ttl:
                with self._sessions() as session:
                    query = select(FindingRow.severity, FindingRow.status, func.count()).group_by(
                        FindingRow.severity, FindingRow.status
                    )
                    rows = [(int(s), str(st), int(n)) for s, st, n in session.execute(query)]
                self._cached = (now, rows)
            return self._cached[1]

    def collect(self) -> Iterator[Any]:
        gauge = GaugeMetricFamily(
            "secloop_findings", "Findings by severity and status", labels=["severity", "status"]
        )
        for severity, state, count in self._rows():
            gauge.add_metric([Severity(severity).name.lower(), state], count)
        yield gauge


class Observability:
    """The registry of one application and its HTTP instruments."""

    def __init__(self, sessions: SessionFactory, store: JobStore) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "secloop_http_requests", "HTTP requests by method, route template and status",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "secloop_http_request_duration_seconds", "HTTP request latency by route template",
            ["method", "route"], registry=self.registry,
        )  # fmt: skip
        self.registry.register(JobStoreCollector(store))
        self.registry.register(FindingsCollector(sessions))

    def observe(self, method: str, route: str, status_code: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status_code)).inc()
        self.latency.labels(method, route).observe(seconds)


class MetricsMiddleware:
    """Times every HTTP request and labels it with the matched route's template."""

    def __init__(self, app: ASGIApp, observability: Observability) -> None:
        self.app, self.observability = app, observability

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500  # if the application fails before it answers

        async def record_status(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            self.observability.observe(
                scope["method"], route_template(scope), status_code, time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The matched route's full path template, e.g. ``/api/v1/scans/{scan_id}``.

    The route object knows its path relative to the router that holds it (FastAPI
    nests included routers), so the static prefix is taken from the request path:
    as many trailing segments as the relative template has are replaced by it.
    """
    route = scope.get("route")
    relative = str(getattr(route, "path", "") or "")
    if route is None or not relative:
        return _UNMATCHED
    if isinstance(route, Mount) or ":path}" in relative:
        return relative + ("/{path}" if isinstance(route, Mount) else "")
    segments = str(scope["path"]).rstrip("/").split("/")
    count = len(relative.rstrip("/").split("/")) - 1
    return "/".join(segments[: max(len(segments) - count, 0)]) + relative


def _check_token(request: Request, token: str | None) -> None:
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), token.encode("utf-8")
    ):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong metrics token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def mount(app: FastAPI, observability: Observability, token: str | None) -> None:
    """Add the middleware and ``GET /metrics``."""
    app.add_middleware(MetricsMiddleware, observability=observability)

    def metrics(request: Request) -> Response:
        _check_token(request, token)
        return Response(generate_latest(observability.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
