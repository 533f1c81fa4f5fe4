"""Alerts POSTed as JSON to a webhook, signed, retried, never blocking detection.

Steps:

1. ``emit`` puts the notice on a bounded queue and returns: a slow or dead receiver
   can never stall the engine. A full queue drops the notice and counts it;
2. a worker thread POSTs each notice as one JSON object. The body is signed like the
   findings server's webhooks: ``X-Secloop-Timestamp`` (Unix seconds) and
   ``X-Secloop-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``;
   the timestamp inside the MAC lets a receiver refuse replays;
3. a transport error, 429 or 5xx is retried with exponential backoff and jitter, up to
   ``max_attempts``; any other status, or the last attempt failing, counts as failed;
4. ``close`` waits up to ``close_timeout`` seconds for the queue to drain; what is
   still queued then is counted as dropped. Redirects are not followed.
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from secloop.core.webhook_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from secloop.runtime.outputs.interface import AlertSink, Notice

__all__ = ["WebhookConfig", "WebhookSink", "sign"]

EVENT_HEADER = "X-Secloop-Event"
_RETRIED = frozenset([408, 425, 429])


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookConfig:
    """Queue length in notices; times in seconds."""

    max_queue: int = 1000
    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    timeout: float = 10.0
    close_timeout: float = 30.0


class WebhookSink(AlertSink):
    """Notices POSTed to ``url`` from a worker thread; see the module docstring's steps."""

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        config: WebhookConfig | None = None,
        transport: Any = None,
    ) -> None:
        super().__init__()
        import httpx

        self.url = url
        self.name = f"webhook:{url}"
        self.config = config or WebhookConfig()
        self._secret = secret
        self._queue: queue.Queue[Notice | None] = queue.Queue(self.config.max_queue)
        self._abort = threading.Event()
        self._client = httpx.Client(
            timeout=self.config.timeout, transport=transport, follow_redirects=False
        )
        self._worker = threading.Thread(target=self._run, name="secloop-webhook", daemon=True)
        self._worker.start()

    def emit(self, notice: Notice) -> None:
        try:
            self._queue.put_nowait(notice)  # (1)
        except queue.Full:
            self.stats.drop(f"{self.name}: queue of {self.config.max_queue} alerts full")

    def close(self) -> None:
        """Step (4): drain within the timeout, then count the rest as dropped."""
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=self.config.close_timeout)
        self._worker.join(self.config.close_timeout)
        if self._worker.is_alive():
            self._abort.set()
            self._worker.join(self.config.timeout + 1)
        left = 0
        while True:
            try:
                left += self._queue.get_nowait() is not None
            except queue.Empty:
                break
        if left:
            self.stats.drop(f"{self.name}: {left} alerts not delivered before shutdown", left)
        self._client.close()

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            if self._abort.is_set():
                self.stats.drop(f"{self.name}: alert not delivered before shutdown")
                continue
            self._deliver(notice)

    def _deliver(self, notice: Notice) -> None:
        """Steps (2) and (3) for one notice."""
        import httpx

        body = json.dumps(notice.to_json_dict(), ensure_ascii=False).encode()
        problem = ""
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                response = self._client.post(self.url, content=body, headers=self._headers(body))
            except httpx.HTTPError as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    self.stats.delivered += 1
                    return
                problem = f"HTTP {status}"
                if status < 500 and status not in _RETRIED:
                    break
            if attempt < self.config.max_attempts and self._abort.wait(self._backoff(attempt)):
                break
        self.stats.fail(f"{self.name}: {problem} (rule {notice.alert.rule!r})")

    def _headers(self, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json", EVENT_HEADER: "runtime.alert"}
        if self._secret:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        return headers

    def _backoff(self, attempt: int) -> float:
        delay = min(self.config.max_backoff, self.config.initial_backoff * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
        return delay * jitter
