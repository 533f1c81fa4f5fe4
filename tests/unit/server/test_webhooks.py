"""Webhooks: signed deliveries to a real loopback receiver, retries, give-up, SSRF refusals."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import update

from secloop.server.storage.models import FindingRow
from secloop.server.webhooks.config import EventType, WebhookTarget
from secloop.server.webhooks.deliver import Outcome, _judge, backoff_seconds, send
from secloop.server.webhooks.guard import Allowlist, WebhookRefusedError, check_url
from secloop.server.webhooks.signing import sign, verify
from secloop.server.workers import WorkerContext
from secloop.server.workers.jobs import NotifyJob
from tests.unit.server.conftest import findings, make_client, upload
from tests.unit.server.loopback import Receiver, receiver
from tests.unit.server.reports import grype_ghsa, trivy_vulns

SECRET = "a-webhook-secret-of-some-length"
CRITICAL = grype_ghsa("GHSA-aaaa-bbbb-cccc", "CVE-2023-0001", "django", "3.2.0")
ALLOW_LOOPBACK = ("127.0.0.1/32",)


def _target(url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "ops", "url": f"{url}/hook", "secret": SECRET, **extra}


def _client(tmp_path: Path, url: str, **settings: Any) -> TestClient:
    values: dict[str, Any] = {
        "webhooks": [_target(url)],
        "webhook_allow_hosts": ALLOW_LOOPBACK,
        "webhook_backoff_seconds": 0.02,
        "webhook_max_attempts": 3,
        **settings,
    }
    return make_client(tmp_path, **values)


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for s in family.samples
    }


def _deliveries(client: TestClient, outcome: str) -> float:
    return _samples(client).get(("secloop_webhook_deliveries_total", (("outcome", outcome),)), 0)


def _wait_counter(client: TestClient, outcome: str, value: float, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while _deliveries(client, outcome) < value and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _deliveries(client, outcome) == value


def _workers(client: TestClient) -> WorkerContext:
    context: WorkerContext = client.app.state.workers  # type: ignore[attr-defined]
    return context


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


def test_new_critical_findings_are_announced_signed(tmp_path: Path, hook: Receiver) -> None:
    with _client(tmp_path, hook.url, public_url="https://secloop.example.com/") as client:
        upload(client, trivy_vulns(("CVE-2022-0002", "x", "1")))  # high only: nothing sent
        upload(client, CRITICAL, project="shop")
        (got,) = hook.wait_for(1)
        _wait_counter(client, "delivered", 1)
    assert got.path == "/hook"
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert verify(
        SECRET, signature=headers["x-secloop-signature"],
        timestamp=headers["x-secloop-timestamp"], body=got.body, now=time.time(),
    )  # fmt: skip
    assert not verify(
        "another-secret-entirely", signature=headers["x-secloop-signature"],
        timestamp=headers["x-secloop-timestamp"], body=got.body, now=time.time(),
    )  # fmt: skip
    assert headers["x-secloop-event"] == "finding.new_critical"
    payload = json.loads(got.body)
    assert payload["delivery_id"] == headers["x-secloop-delivery"]
    assert (payload["event"], payload["project"], payload["finding_count"]) == (
        "finding.new_critical", "shop", 1,
    )  # fmt: skip
    (finding,) = payload["findings"]
    assert finding["severity"] == "critical"
    assert finding["link"] == f"https://secloop.example.com/findings/{finding['id']}"
    assert payload["link"] == "https://secloop.example.com/projects/shop"


def test_a_delivery_is_retried_after_server_errors(tmp_path: Path) -> None:
    with receiver(statuses=[500, 503, 200]) as hook, _client(tmp_path, hook.url) as client:
        upload(client, CRITICAL)
        got = hook.wait_for(3)
        _wait_counter(client, "delivered", 1)
        assert _deliveries(client, "retried") == 2
    assert len(got) == 3
    assert len({r.headers["X-Secloop-Delivery"] for r in got}) == 1  # one delivery, 3 attempts


def test_a_delivery_gives_up_after_the_last_attempt(tmp_path: Path) -> None:
    with receiver(statuses=[500]) as hook, _client(tmp_path, hook.url) as client:
        upload(client, CRITICAL)
        hook.wait_for(3)
        _wait_counter(client, "failed", 1)
        time.sleep(0.3)  # longer than any further backoff: nothing more is sent
        assert len(hook.received) == 3
        assert _deliveries(client, "retried") == 2
        assert _deliveries(client, "delivered") == 0


def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    with receiver(statuses=[302]) as hook, _client(tmp_path, hook.url) as client:
        upload(client, CRITICAL)
        _wait_counter(client, "failed", 1)
        assert len(hook.received) == 1
        assert _deliveries(client, "retried") == 0


@pytest.mark.parametrize(
    ("allow", "host"),
    [
        (("hooks.example.com",), "127.0.0.1"),  # not in the allowlist at all
        (("localhost",), "localhost"),  # allowed by name, but resolves to loopback
        (("127.0.0.2/32",), "127.0.0.1"),  # another address
    ],
)
def test_targets_outside_the_allowlist_are_refused(
    tmp_path: Path, hook: Receiver, allow: tuple[str, ...], host: str
) -> None:
    url = hook.url.replace("127.0.0.1", host)
    with _client(tmp_path, url, webhook_allow_hosts=allow) as client:
        upload(client, CRITICAL)
        _wait_counter(client, "refused", 1)
    assert hook.received == []


def _finding_ids(client: TestClient, project: str) -> list[int]:
    return sorted(item["id"] for item in findings(client, project=project))


def _run(client: TestClient, job: NotifyJob) -> dict[str, Any]:
    workers = _workers(client)
    job_id = workers.runner.submit(job)
    deadline = time.monotonic() + 20
    record: dict[str, Any] = {}
    while time.monotonic() < deadline:
        record = client.get(f"/api/v1/jobs/{job_id}").json()
        if record["state"] in ("done", "failed"):
            return record
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish: {record}")


def test_sla_breaches_and_status_changes_are_announced_once(tmp_path: Path) -> None:
    events = [EventType.SLA_BREACH.value, EventType.STATUS_CHANGE.value]
    target = _target("URL", events=events, projects=["demo"])
    with receiver() as hook:
        target["url"] = f"{hook.url}/hook"
        with _client(tmp_path, hook.url, webhooks=[target]) as client:
            upload(client, trivy_vulns(("CVE-2022-0002", "x", "1"), ("CVE-2022-0003", "y", "2")))
            upload(client, CRITICAL, project="elsewhere")  # filtered out by project
            first, second = _finding_ids(client, "demo")
            late = date.today() - timedelta(days=3)
            with _workers(client).sessions.begin() as session:
                session.execute(
                    update(FindingRow).where(FindingRow.id == first).values(due_date=late)
                )
            assert "1 SLA-breach" in _run(client, NotifyJob())["result"]
            (breach,) = hook.wait_for(1)
            assert "0 SLA-breach and 0 status-change" in _run(client, NotifyJob())["result"]
            patched = client.patch(
                f"/api/v1/findings/{second}", json={"status": "triaged", "reason": "confirmed"}
            )
            assert patched.status_code == 200, patched.text
            assert "1 status-change" in _run(client, NotifyJob())["result"]
            _, change = hook.wait_for(2)
    payload = json.loads(breach.body)
    assert payload["event"] == "finding.sla_breach"
    assert [f["id"] for f in payload["findings"]] == [first]
    assert payload["findings"][0]["due_date"] == late.isoformat()
    changed = json.loads(change.body)
    assert changed["event"] == "finding.status_change"
    assert changed["changes"][0]["finding_id"] == second
    assert changed["changes"][0]["new_status"] == "triaged"
    assert len(hook.received) == 2


# The guard, signing and backoff on their own -----------------------------------------


def _resolver(*addresses: str) -> Any:
    return lambda _host, _port: list(addresses)


@pytest.mark.parametrize(
    ("url", "allow", "addresses", "reason"),
    [
        ("ftp://hooks.example.com/", ["hooks.example.com"], ["203.0.113.9"], "not an http"),
        ("https://hooks.example.com:99999/", ["hooks.example.com"], [], "invalid port"),
        ("https://evil.example.net/", ["hooks.example.com"], ["203.0.113.9"], "not in"),
        ("https://hooks.example.com/", [], ["203.0.113.9"], "not in"),
        ("https://meta.example.com/", ["*.example.com"], ["169.254.169.254"], "internal"),
        ("https://hooks.example.com/", ["hooks.example.com"], ["10.1.2.3"], "internal"),
        (
            "https://hooks.example.com/",
            ["hooks.example.com"],
            ["8.8.8.8", "192.168.0.1"],
            "internal",
        ),
        ("https://hooks.example.com/", ["hooks.example.com"], ["::1"], "internal"),
        ("https://hooks.example.com/", ["hooks.example.com"], [], "no address"),
        ("http://169.254.169.254/latest", ["hooks.example.com"], [], "not in"),
    ],
)
def test_the_guard_refuses(url: str, allow: list[str], addresses: list[str], reason: str) -> None:
    with pytest.raises(WebhookRefusedError, match=reason):
        check_url(url, Allowlist.parse(allow), _resolver(*addresses))


def test_the_guard_allows_public_names_and_explicit_cidrs() -> None:
    public = check_url(
        "https://hooks.example.com/in?x=1", Allowlist.parse(["*.example.com"]), _resolver("8.8.4.4")
    )
    assert (public.address, public.port, public.path) == ("8.8.4.4", 443, "/in?x=1")
    internal = check_url(
        "http://hooks.corp:8080", Allowlist.parse(["hooks.corp", "10.0.0.0/8"]),
        _resolver("10.9.9.9"),
    )  # fmt: skip
    assert (internal.address, internal.port, internal.path) == ("10.9.9.9", 8080, "/")
    literal = check_url("http://[fd00::5]/h", Allowlist.parse(["fd00::/8"]))
    assert literal.address == "fd00::5"


def test_the_system_resolver_reports_unknown_names() -> None:
    with pytest.raises(WebhookRefusedError, match="cannot resolve"):
        check_url("https://no-such-host.invalid/", Allowlist.parse(["no-such-host.invalid"]))


def test_signatures_cover_the_timestamp_and_the_body() -> None:
    now = 1_700_000_000
    signature = sign(SECRET, now, b'{"a":1}')
    assert signature.startswith("sha256=")
    assert len(signature) == 7 + 64
    assert verify(SECRET, signature=signature, timestamp=str(now), body=b'{"a":1}', now=now + 5)
    assert not verify(SECRET, signature=signature, timestamp=str(now), body=b'{"a":2}', now=now)
    assert not verify(SECRET, signature=signature, timestamp=str(now + 1), body=b'{"a":1}', now=now)
    assert not verify(
        SECRET, signature=signature, timestamp=str(now), body=b'{"a":1}', now=now + 301
    )
    assert not verify(SECRET, signature=signature, timestamp="soon", body=b'{"a":1}', now=now)


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    rand = random.Random(7)  # noqa: S311 - test determinism, not security
    for attempt, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (30, 3600.0)):
        delays = [backoff_seconds(attempt, 2.0, rand) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert 0.5 <= backoff_seconds(1, 1.0) <= 1.0


def test_statuses_decide_between_retry_and_final_failure() -> None:
    target = WebhookTarget.model_validate(_target("http://x"))
    assert _judge(target, 204, "").outcome is Outcome.DELIVERED
    assert _judge(target, 429, "slow down").outcome is Outcome.RETRY
    assert _judge(target, 408, "").outcome is Outcome.RETRY
    assert _judge(target, 404, "no").outcome is Outcome.FAILED
    assert "HTTP 404: no" in _judge(target, 404, "no").detail


def test_an_unreachable_receiver_is_retried() -> None:
    import socket

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = WebhookTarget.model_validate(_target(f"http://127.0.0.1:{port}"))
    destination = check_url(target.url, Allowlist.parse(ALLOW_LOOPBACK))
    attempt = send(target, destination, event="e", delivery_id="d", body=b"{}", timeout=2)
    assert attempt.outcome is Outcome.RETRY
    assert "ConnectError" in attempt.detail


def test_target_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="https:// or http://"):
        WebhookTarget.model_validate(_target("file:///etc"))
    with pytest.raises(ValidationError):
        WebhookTarget.model_validate({**_target("http://x"), "secret": "short"})
    target = WebhookTarget.model_validate(
        _target("http://x", projects=["a"], events=["finding.sla_breach"])
    )
    assert target.wants(EventType.SLA_BREACH, "a")
    assert not target.wants(EventType.SLA_BREACH, "b")
    assert not target.wants(EventType.NEW_CRITICAL, "a")
