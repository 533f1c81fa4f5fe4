"""Kubernetes audit events POSTed by the API server's audit webhook backend.

``secloop detect --source k8s_audit --listen HOST:PORT`` runs a tiny ASGI app under
uvicorn in a background thread; the detection loop reads the events it accepted from
a bounded queue. Steps of one request:

1. only ``POST`` is accepted (``GET /healthz`` answers 200 for probes);
2. with a token configured, ``Authorization: Bearer <token>`` must match (compared in
   constant time), else 401;
3. the body is read up to ``max_body_bytes`` (a larger ``Content-Length`` or body is
   413), so a client cannot make the endpoint buffer without bound;
4. the body must be JSON holding an ``audit.k8s.io`` ``EventList`` or a single
   ``Event`` (or an array of them), else 400 with the reason; the request counts as
   dropped with that reason;
5. the events are queued (all or none): when the queue cannot take them, 503 with
   ``Retry-After`` (the API server's batching backend retries) and they count as dropped;
6. 200 with the number accepted: the rules run after the answer, so the API server
   never waits on detection.

uvicorn is imported when the endpoint starts, so ``detect`` without ``--listen``
does not need the server extra.
"""

from __future__ import annotations

import hmac
import json
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.errors import Error, UsageError
from secloop.runtime.event import Event
from secloop.runtime.sources.interface import SourceStats
from secloop.runtime.sources.k8s_audit import NOT_AUDIT, audit_events, event_time_ns

__all__ = ["AuditWebhookSource", "ListenError", "WebhookConfig", "parse_listen"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ListenError(Error):
    """The audit endpoint cannot start (address in use, bad TLS files, no uvicorn)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookConfig:
    """The endpoint: address, limits (bytes, events), TLS files and optional bearer token."""

    host: str = "127.0.0.1"
    port: int = 8765
    max_body_bytes: int = 16 * 1024 * 1024
    max_queue: int = 10_000
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    start_timeout: float = 30.0
    poll_interval: float = 0.2


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a pair; UsageError when malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, such as 127.0.0.1:8765")
    return host.removeprefix("[").removesuffix("]"), int(port)


class _Rejected(Exception):  # noqa: N818 - a control-flow signal carrying the HTTP answer
    def __init__(self, status: int, reason: str, headers: tuple[tuple[bytes, bytes], ...] = ()):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers


class AuditApp:
    """The ASGI app of steps (1) to (6); ``deliver`` queues the events of one request."""

    def __init__(self, config: WebhookConfig, stats: SourceStats, events: queue.Queue[Any]):
        self.config = config
        self.stats = stats
        self.events = events
        self.requests = 0
        self._lock = threading.RLock()  # _enqueue holds it while it counts a drop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            accepted = await self._handle(scope, receive)
        except _Rejected as rejected:
            await _answer(send, rejected.status, {"error": rejected.reason}, rejected.headers)
            return
        await _answer(send, 200, {"accepted": accepted})

    async def _handle(self, scope: Scope, receive: Receive) -> int:
        if scope["method"] == "GET" and scope["path"] == "/healthz":
            return 0
        if scope["method"] != "POST":  # (1)
            raise _Rejected(405, "only POST is accepted", ((b"allow", b"POST"),))
        headers = dict(scope["headers"])
        self._authorise(headers.get(b"authorization", b""))  # (2)
        body = await self._body(headers, receive)  # (3)
        with self._lock:
            self.requests += 1
            number = self.requests
        payloads = self._decode(body, number)  # (4)
        return self._enqueue(payloads, number)  # (5)

    def _authorise(self, given: bytes) -> None:
        token = self.config.token
        if token is None:
            return
        expected = f"Bearer {token}".encode()
        if not hmac.compare_digest(given, expected):
            raise _Rejected(
                401, "missing or wrong bearer token", ((b"www-authenticate", b"Bearer"),)
            )

    async def _body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        limit = self.config.max_body_bytes
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            self._drop(f"request body of {int(declared)} bytes is over the {limit}-byte limit")
            raise _Rejected(413, f"body larger than {limit} bytes")
        chunks = bytearray()
        while True:
            message = await receive()
            chunks += message.get("body", b"")
            if len(chunks) > limit:
                self._drop(f"request body is over the {limit}-byte limit")
                raise _Rejected(413, f"body larger than {limit} bytes")
            if not message.get("more_body", False):
                return bytes(chunks)

    def _decode(self, body: bytes, number: int) -> list[dict[str, Any]]:
        try:
            value = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            reason = f"not JSON ({getattr(err, 'msg', err)})"
            self._drop(f"request {number}: {reason}")
            raise _Rejected(400, reason) from None
        found = audit_events(value)
        if found is None:
            self._drop(f"request {number}: {NOT_AUDIT}")
            raise _Rejected(400, f"{NOT_AUDIT}: expected an audit.k8s.io EventList or Event")
        return found

    def _enqueue(self, payloads: list[dict[str, Any]], number: int) -> int:
        with self._lock:
            if self.events.qsize() + len(payloads) > self.config.max_queue:
                self._drop(f"request {number}: event queue full, {len(payloads)} events refused")
                self.stats.dropped += len(payloads) - 1
                raise _Rejected(503, "event queue full", ((b"retry-after", b"1"),))
            for payload in payloads:
                self.events.put_nowait(payload)
        return len(payloads)

    def _drop(self, reason: str) -> None:
        with self._lock:
            self.stats.drop(reason)


async def _answer(
    send: Send, status: int, body: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class AuditWebhookSource:
    """Audit events from the endpoint, until :meth:`stop`; counts what it dropped."""

    source = "k8s_audit"

    def __init__(self, config: WebhookConfig | None = None) -> None:
        self.config = config or WebhookConfig()
        self.stats = SourceStats()
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self.app = AuditApp(self.config, self.stats, self._queue)
        self._stopping = False
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._failure: str | None = None
        self.ready = threading.Event()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0); the configured one before the start."""
        servers = getattr(self._server, "servers", None)
        if servers:
            return int(servers[0].sockets[0].getsockname()[1])
        return self.config.port

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls_cert else "http"
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"{scheme}://{host}:{self.port}"

    def stop(self) -> None:
        """End the run at the next poll; safe from a signal handler (sets a flag only)."""
        self._stopping = True

    def __iter__(self) -> Iterator[Event]:
        self._start()
        number = 0
        try:
            while True:
                try:
                    payload = self._queue.get(timeout=self.config.poll_interval)
                except queue.Empty:
                    if self._stopping:
                        return
                    continue
                number += 1
                self.stats.read += 1
                yield Event(
                    source=self.source, time_ns=event_time_ns(payload), payload=payload, num=number
                )
        finally:
            self._shutdown()

    def _start(self) -> None:
        try:
            import uvicorn
        except ImportError:
            raise ListenError(
                "the audit webhook endpoint needs uvicorn: install secloop[server]"
            ) from None
        config = uvicorn.Config(
            self.app,
            host=self.config.host,
            port=self.config.port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            ssl_certfile=str(self.config.tls_cert) if self.config.tls_cert else None,
            ssl_keyfile=str(self.config.tls_key) if self.config.tls_key else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="secloop-audit-webhook")
        self._thread.start()
        deadline = time.monotonic() + self.config.start_timeout
        while not getattr(self._server, "started", False):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._shutdown()
                cause = self._failure or "it did not start in time"
                raise ListenError(
                    f"cannot listen on {self.config.host}:{self.config.port}: {cause}"
                )
            time.sleep(0.02)
        self.ready.set()

    def _serve(self) -> None:
        try:
            self._server.run()
        except (SystemExit, OSError, ValueError) as err:  # uvicorn exits when it cannot bind
            self._failure = "address unavailable" if isinstance(err, SystemExit) else str(err)

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
