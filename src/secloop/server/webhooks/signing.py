"""Webhook signatures of the findings server: the scheme shared with the runtime's alert
webhooks (:mod:`secloop.core.webhook_signature`), plus the server's own event headers."""

from __future__ import annotations

from secloop.core.webhook_signature import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify,
)

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "sign",
    "verify",
]

EVENT_HEADER = "X-Secloop-Event"
DELIVERY_HEADER = "X-Secloop-Delivery"
