"""The one signature scheme of every webhook secloop sends (findings server, runtime alerts).

``X-Secloop-Signature: sha256=<hex>`` is an HMAC-SHA256 with the shared secret over
``<timestamp>.<body>``, and the timestamp (``X-Secloop-Timestamp``, Unix seconds) is
inside the MAC, so a receiver that rejects old timestamps cannot be replayed a captured
delivery later. One receiver implementation checks deliveries from both senders.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "verify"]

SIGNATURE_HEADER = "X-Secloop-Signature"
TIMESTAMP_HEADER = "X-Secloop-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    *,
    signature: str,
    timestamp: str,
    body: bytes,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: a fresh timestamp and a matching MAC (constant-time)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
