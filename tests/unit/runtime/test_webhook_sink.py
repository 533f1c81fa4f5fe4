"""``--output webhook:URL``: a real loopback receiver checks signatures, retries and give-up."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from secloop.runtime.event import Alert, Priority
from secloop.runtime.outputs.interface import Notice
from secloop.runtime.outputs.webhook import WebhookConfig, WebhookSink, sign

SECRET = "webhook-test-secret"  # a throwaway key for a loopback receiver
FAST = WebhookConfig(initial_backoff=0.01, max_backoff=0.05, max_attempts=3, timeout=5)


def alert(rule: str = "r", output: str = "out") -> Alert:
    return Alert(
        rule=rule,
        priority=Priority.WARNING,
        output=output,
        time_ns=1_700_000_000_000_000_000,
        fields={"proc.name": "sh"},
        tags=("T1059",),
        source="syscall",
    )


class Receiver:
    """A loopback HTTP server answering with scripted statuses, recording requests."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def test_alerts_are_posted_signed(receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url, secret=SECRET, config=FAST)
    sink.emit(Notice(alert()))
    sink.emit(Notice(alert(output="again"), repeats=4))
    sink.close()
    assert sink.stats.delivered == 2
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[0]
    document = json.loads(body)
    assert (document["rule"], document["output"], document["priority"]) == ("r", "out", "Warning")
    assert json.loads(receiver.requests[1][1])["repeats"] == 4
    timestamp = headers["x-secloop-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    assert headers["x-secloop-signature"] == f"sha256={expected.hexdigest()}"
    assert headers["x-secloop-event"] == "runtime.alert"
    assert headers["content-type"] == "application/json"


def test_without_a_secret_nothing_is_signed(receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url, config=FAST)
    sink.emit(Notice(alert()))
    sink.close()
    assert "x-secloop-signature" not in receiver.requests[0][0]


def test_server_errors_are_retried(receiver: Receiver) -> None:
    receiver.statuses = [500, 429]
    sink = WebhookSink(receiver.url, secret=SECRET, config=FAST)
    sink.emit(Notice(alert()))
    sink.close()
    assert len(receiver.requests) == 3
    assert (sink.stats.delivered, sink.stats.failed) == (1, 0)


def test_give_up_after_the_last_attempt(receiver: Receiver) -> None:
    receiver.statuses = [503, 503, 503]
    sink = WebhookSink(receiver.url, config=FAST)
    sink.emit(Notice(alert()))
    sink.close()
    assert len(receiver.requests) == 3
    assert sink.stats.failed == 1
    assert "HTTP 503" in sink.stats.reasons[0]


def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.statuses = [400]
    sink = WebhookSink(receiver.url, config=FAST)
    sink.emit(Notice(alert()))
    sink.close()
    assert len(receiver.requests) == 1
    assert sink.stats.failed == 1


def test_an_unreachable_receiver_fails_without_blocking() -> None:
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens there any more
    sink = WebhookSink(url, config=FAST)
    started = time.monotonic()
    for _ in range(3):
        sink.emit(Notice(alert()))
    assert time.monotonic() - started < 0.5
    sink.close()
    assert sink.stats.failed == 3
    assert "ConnectError" in sink.stats.reasons[0]


def test_a_full_queue_drops_and_counts(receiver: Receiver) -> None:
    receiver.statuses = [503] * 100
    config = WebhookConfig(max_queue=2, initial_backoff=0.2, max_attempts=2, close_timeout=5)
    sink = WebhookSink(receiver.url, config=config)
    for _ in range(10):
        sink.emit(Notice(alert()))
    sink.close()
    assert sink.stats.dropped >= 7
    assert sink.stats.dropped + sink.stats.failed + sink.stats.delivered == 10
    assert any("queue of 2 alerts full" in r for r in sink.stats.reasons)


def test_close_gives_up_on_what_cannot_be_delivered_in_time(receiver: Receiver) -> None:
    receiver.statuses = [503] * 100
    config = WebhookConfig(
        initial_backoff=5, max_backoff=5, max_attempts=5, close_timeout=0.3, timeout=2
    )
    sink = WebhookSink(receiver.url, config=config)
    for _ in range(3):
        sink.emit(Notice(alert()))
    started = time.monotonic()
    sink.close()
    assert time.monotonic() - started < 5
    assert sink.stats.failed + sink.stats.dropped == 3
    assert sink.stats.dropped >= 1
    assert any("not delivered before shutdown" in r for r in sink.stats.reasons)


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    digest = hmac.new(b"k", b"1.{}", hashlib.sha256).hexdigest()
    assert sign("k", "1", b"{}") == f"sha256={digest}"
