"""Webhook signatures: ``X-Secloop-Signature: sha256=<hex>`` over ``<timestamp>.<body>``.

The timestamp (``X-Secloop-Timestamp``, Unix seconds) is inside the MAC, so a receiver
that rejects old timestamps cannot be replayed a captured delivery later.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Secloop-Signature"
TIMESTAMP_HEADER = "X-Secloop-Timestamp"
EVENT_HEADER = "X-Secloop-Event"
DELIVERY_HEADER = "X-Secloop-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
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
