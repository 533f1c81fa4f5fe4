"""The Kubernetes audit webhook endpoint: real HTTP posts of the corpus audit events.

Every case of ``falco-legacy-tests`` that uses the pinned rules is POSTed as the API
server's webhook backend sends it (an ``audit.k8s.io/v1`` ``EventList``) to one live
endpoint, and must give the detections the case expects; then the refusals (400,
401, 405, 413, 503), TLS, and ``secloop detect --listen`` as a process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.core.errors import UsageError
from secloop.runtime.engine import Engine
from secloop.runtime.event import Alert
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sources import K8sAuditSource
from secloop.runtime.sources.k8s_webhook import (
    AuditWebhookSource,
    ListenError,
    WebhookConfig,
    parse_listen,
)
from tests.conftest import CORPUS_ROOT, corpus_path
from tests.unit.runtime.helpers import one_rule

pytest.importorskip("uvicorn", reason="the server extra is not installed")

LEGACY = CORPUS_ROOT / "falco-legacy-tests"
PINNED = ["pinned-rules/falco_rules-1.0.1.yaml", "pinned-rules/k8s_audit_rules-0.6.0.yaml"]
EVENT = {
    "kind": "Event",
    "apiVersion": "audit.k8s.io/v1",
    "verb": "delete",
    "stage": "ResponseComplete",
    "user": {"username": "bob"},
    "objectRef": {"resource": "secrets", "name": "s"},
    "stageTimestamp": "2024-05-01T10:00:00Z",
}


def event_list(items: list[Any]) -> dict[str, Any]:
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items}


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class Detector:
    """An endpoint whose events run through an engine in a background thread."""

    def __init__(self, engine: Engine, config: WebhookConfig) -> None:
        self.engine = engine
        self.source = AuditWebhookSource(config)
        self.alerts: list[Alert] = []
        self.processed = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        wait_for(lambda: self.source.ready.is_set() or self.error is not None)

    def _run(self) -> None:
        try:
            for event in self.source:
                self.alerts.extend(self.engine.process(event))
                self.processed += 1
        except BaseException as err:  # noqa: BLE001 - reported to the test
            self.error = err

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        return httpx.post(self.source.url, content=body, headers=headers, timeout=10)

    def stop(self) -> None:
        self.source.stop()
        self.thread.join(15)
        assert not self.thread.is_alive()


def one_rule_engine(tmp_path: Path) -> Engine:
    rules = tmp_path / "rules.yaml"
    rules.write_text(one_rule("ka.verb = delete", source="k8s_audit", output="%ka.user.name"))
    return Engine(load_rules([rules]))


@pytest.fixture
def detector(tmp_path: Path) -> Iterator[Detector]:
    running = Detector(
        one_rule_engine(tmp_path), WebhookConfig(port=0, max_body_bytes=4096, max_queue=5)
    )
    yield running
    running.stop()


def _cases() -> list[dict[str, Any]]:
    path = LEGACY / "k8s_audit_expected.json"
    cases = json.loads(path.read_text()) if path.exists() else []
    return [c for c in cases if c["rules_files"] == PINNED]


def test_every_pinned_corpus_case_detects_the_same_through_http() -> None:
    corpus_path("falco-legacy-tests")
    cases = _cases()
    assert len(cases) == 41
    running = Detector(Engine(load_rules([LEGACY / f for f in PINNED])), WebhookConfig(port=0))
    try:
        for case in cases:
            _post_case(running, case)
    finally:
        running.stop()
    assert running.error is None


def _post_case(running: Detector, case: dict[str, Any]) -> None:
    source = K8sAuditSource(LEGACY / case["events_file"])
    payloads = [dict(event.payload) for event in source]
    before_alerts, before = len(running.alerts), running.processed
    if source.stats.dropped:  # the case of data that is not audit events: refused, counted
        raw = (LEGACY / case["events_file"]).read_bytes()
        response = running.post(raw.splitlines()[0])
        assert response.status_code == 400
        assert case["stderr_contains"] in response.json()["error"]
    if payloads:
        response = running.post(json.dumps(event_list(payloads)).encode())
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": len(payloads)}
    wait_for(lambda: running.processed == before + len(payloads))
    counts = Counter(a.rule for a in running.alerts[before_alerts:])
    assert bool(counts) is case["detect"], (case["name"], counts)
    for rule, expected in case.get("detect_counts", {}).items():
        assert counts[rule] == expected, (case["name"], rule, counts)


def test_a_single_event_is_accepted(detector: Detector) -> None:
    response = detector.post(json.dumps(EVENT).encode())
    assert response.status_code == 200
    wait_for(lambda: len(detector.alerts) == 1)
    assert detector.alerts[0].output == "bob"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"kind": "Pod"}', "data not recognized as a k8s audit event"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_malformed_bodies_get_400_and_are_counted(
    detector: Detector, body: bytes, reason: str
) -> None:
    response = detector.post(body)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert detector.source.stats.dropped == 1
    assert reason in detector.source.stats.reasons[0]


def test_a_body_over_the_limit_gets_413(detector: Detector) -> None:
    big = json.dumps(event_list([EVENT] * 40)).encode()
    assert len(big) > 4096
    response = detector.post(big)
    assert response.status_code == 413
    assert detector.source.stats.dropped == 1


def test_a_chunked_body_over_the_limit_gets_413(detector: Detector) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    response = httpx.post(detector.source.url, content=chunks(), timeout=10)
    assert response.status_code == 413


def test_only_post_is_accepted_and_healthz_answers(detector: Detector) -> None:
    assert httpx.get(detector.source.url, timeout=10).status_code == 405
    assert httpx.get(f"{detector.source.url}/healthz", timeout=10).status_code == 200


def test_a_full_queue_gets_503_and_counts_the_events() -> None:
    source = AuditWebhookSource(WebhookConfig(port=0, max_queue=2))
    source._start()  # serve without consuming, so that the queue fills up
    try:
        body = json.dumps(event_list([EVENT] * 3)).encode()
        response = httpx.post(source.url, content=body, timeout=10)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert source.stats.dropped == 3
        assert "event queue full, 3 events refused" in source.stats.reasons[0]
        assert httpx.post(source.url, content=json.dumps(EVENT).encode()).status_code == 200
    finally:
        source._shutdown()


def test_bearer_token_is_required_when_configured(tmp_path: Path) -> None:
    running = Detector(one_rule_engine(tmp_path), WebhookConfig(port=0, token="s3cret-token"))
    try:
        body = json.dumps(EVENT).encode()
        assert running.post(body).status_code == 401
        assert running.post(body, Authorization="Bearer wrong").status_code == 401
        assert running.post(body, Authorization="Bearer s3cret-token").status_code == 200
        wait_for(lambda: len(running.alerts) == 1)
    finally:
        running.stop()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    done = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"openssl cannot make a test certificate: {done.stderr.decode()[:200]}")
    return cert, key


def test_tls_endpoint(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    running = Detector(one_rule_engine(tmp_path), WebhookConfig(port=0, tls_cert=cert, tls_key=key))
    try:
        assert running.source.url.startswith("https://")
        response = httpx.post(
            running.source.url,
            content=json.dumps(EVENT).encode(),
            verify=ssl.create_default_context(cafile=str(cert)),
            timeout=10,
        )
        assert response.status_code == 200
        wait_for(lambda: len(running.alerts) == 1)
    finally:
        running.stop()


def test_bad_tls_files_and_a_busy_port_are_clear_errors(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    source = AuditWebhookSource(WebhookConfig(port=0, tls_cert=bogus, tls_key=bogus))
    with pytest.raises(ListenError, match=r"cannot listen on 127\.0\.0\.1:0"):
        list(source)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ListenError, match=f"cannot listen on 127.0.0.1:{port}"):
            list(AuditWebhookSource(WebhookConfig(port=port, start_timeout=10)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:8765", ("127.0.0.1", 8765)), ("[::1]:80", ("::1", 80)), ("h:0", ("h", 0))],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["8765", ":80", "h:x", "h:70000"])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="expected HOST:PORT"):
        parse_listen(text)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_detect_listen_as_a_process(tmp_path: Path) -> None:
    corpus_path("falco-legacy-tests")
    port = _free_port()
    args = [sys.executable, "-m", "secloop", "detect", "--source", "k8s_audit"]
    for rules_file in PINNED:
        args += ["--rules", str(LEGACY / rules_file)]
    args += ["--listen", f"127.0.0.1:{port}", "--auth-token", "tok"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url), timeout=60)
        source = K8sAuditSource(LEGACY / "trace_files/k8s_audit/create_nginx_pod_privileged.json")
        body = json.dumps(event_list([dict(e.payload) for e in source])).encode()
        token = {"Authorization": "Bearer tok"}
        assert httpx.post(url, content=body, headers=token).status_code == 200
        assert httpx.post(url, content=b"[1]", headers=token).status_code == 400
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    rules = [json.loads(line)["rule"] for line in out.splitlines()]
    assert rules == ["Create Privileged Pod"]
    assert "1 dropped" in err
    assert "request 2: data not recognized as a k8s audit event" in err


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_detect_listen_in_process_stops_on_sigint_and_restores_handlers(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(one_rule("ka.verb = delete", source="k8s_audit", output="by %ka.user.name"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    before = signal.getsignal(signal.SIGINT)

    def client() -> None:
        wait_for(lambda: _healthy(url), timeout=60)
        httpx.post(url, content=json.dumps(event_list([EVENT, EVENT])).encode(), timeout=10)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=client)
    thread.start()
    result = CliRunner().invoke(
        detect_command,
        ["--rules", str(rules), "--listen", f"127.0.0.1:{port}", "--max-body-bytes", "65536"],
    )
    thread.join(30)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["output"] for line in result.stdout.splitlines()] == ["by bob"] * 2
    assert "2 events, 2 alerts, 0 dropped" in result.stderr
    assert signal.getsignal(signal.SIGINT) is before


def test_detect_names_a_missing_input(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(one_rule("ka.verb = delete", source="k8s_audit"))
    result = CliRunner().invoke(
        detect_command, ["--rules", str(rules), "--input", str(tmp_path / "nope.jsonl")]
    )
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_before_the_start_the_configured_address_is_reported() -> None:
    source = AuditWebhookSource(WebhookConfig(host="::1", port=9443, tls_cert=Path("c")))
    assert source.url == "https://[::1]:9443"


def test_lifespan_and_websocket_scopes_are_ignored() -> None:
    import asyncio

    source = AuditWebhookSource()
    sent: list[object] = []

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(source.app({"type": "lifespan"}, receive, send))
    assert sent == []
