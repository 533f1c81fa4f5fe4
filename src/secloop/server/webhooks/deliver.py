"""One delivery attempt: POST the signed body to the checked address, no redirects.

The outcome decides what happens next: ``DELIVERED`` (2xx) is final; ``RETRY`` (a
network error, a timeout, 408, 425, 429 or 5xx) is tried again after a backoff;
``FAILED`` (a redirect or another 4xx: the receiver refuses it) and ``REFUSED`` (the
SSRF guard said no) are final and never retried.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from enum import StrEnum

from secloop.server.webhooks.config import WebhookTarget
from secloop.server.webhooks.guard import Destination
from secloop.server.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

_RETRY_STATUSES = frozenset({408, 425, 429})
_MAX_BACKOFF_SECONDS = 3600.0
#: Bytes of a receiver's answer kept for the log.
_ANSWER_BYTES = 200


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    detail: str


def backoff_seconds(attempt: int, base: float, rand: random.Random | None = None) -> float:
    """Exponential with jitter: half of ``base * 2**(attempt-1)`` fixed, half random.

    The random half spreads the retries of many deliveries that failed together
    (a receiver coming back up is not hit by all of them in the same second).
    """
    ceiling = min(base * 2 ** (attempt - 1), _MAX_BACKOFF_SECONDS)
    return float(ceiling / 2 + (rand or random.SystemRandom()).uniform(0, ceiling / 2))


def _url(destination: Destination) -> str:
    host = f"[{destination.address}]" if ":" in destination.address else destination.address
    return f"{destination.scheme}://{host}:{destination.port}{destination.path}"


def _host_header(destination: Destination) -> str:
    default = 443 if destination.scheme == "https" else 80
    port = "" if destination.port == default else f":{destination.port}"
    return f"{destination.host}{port}"


def send(
    target: WebhookTarget,
    destination: Destination,
    *,
    event: str,
    delivery_id: str,
    body: bytes,
    timeout: float,
) -> Attempt:
    """POST once to the address the guard checked (no second DNS lookup)."""
    import httpx

    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "secloop-webhooks",
        "Host": _host_header(destination),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(target.secret.get_secret_value(), timestamp, body),
    }
    # TLS: the certificate is checked against the host name, not the pinned address.
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request(
                "POST", _url(destination), content=body, headers=headers, extensions=extensions
            )
            response = client.send(request)
    except httpx.HTTPError as err:
        return Attempt(Outcome.RETRY, f"{target.name}: {type(err).__name__}: {err}")
    return _judge(target, response.status_code, response.text[:_ANSWER_BYTES])


def _judge(target: WebhookTarget, status: int, answer: str) -> Attempt:
    detail = f"{target.name}: HTTP {status}" + (f": {answer.strip()}" if answer.strip() else "")
    if 200 <= status < 300:
        return Attempt(Outcome.DELIVERED, f"{target.name}: HTTP {status}")
    if 300 <= status < 400:
        return Attempt(Outcome.FAILED, f"{detail} (redirects are not followed)")
    if status >= 500 or status in _RETRY_STATUSES:
        return Attempt(Outcome.RETRY, detail)
    return Attempt(Outcome.FAILED, detail)
