"""Kubernetes audit events from a file: JSON lines, a JSON array, or an ``EventList``.

Each JSON value may be one ``Event``, an ``EventList`` (its ``items``) or an array of
events, as the API server's log and webhook backends write them. Anything else is
dropped and counted with the message Falco's k8saudit plugin gives ("data not
recognized as a k8s audit event"). The event time is ``stageTimestamp`` (else
``requestReceivedTimestamp``, ``timestamp``). ``--follow`` reads a growing log
(:mod:`~secloop.runtime.sources.follow`); the webhook backend's POSTs arrive through
:mod:`~secloop.runtime.sources.k8s_webhook`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from secloop.runtime.event import Event
from secloop.runtime.sources.interface import FileSource
from secloop.runtime.sources.jsonlines import parse_rfc3339_ns, read_json_values

__all__ = ["K8sAuditSource", "audit_events"]

_TIME_KEYS = ("stageTimestamp", "requestReceivedTimestamp", "timestamp")
NOT_AUDIT = "data not recognized as a k8s audit event"


def audit_events(value: Any) -> list[dict[str, Any]] | None:
    """The audit events inside one decoded JSON value, or None when it holds none."""
    if isinstance(value, list):
        found: list[dict[str, Any]] = []
        for item in value:
            inner = audit_events(item)
            if inner is None:
                return None
            found.extend(inner)
        return found
    if not isinstance(value, dict):
        return None
    kind = value.get("kind")
    if kind == "Event":
        return [value]
    if kind == "EventList" and isinstance(value.get("items"), list):
        return audit_events(value["items"])
    return None


def event_time_ns(payload: dict[str, Any]) -> int:
    for key in _TIME_KEYS:
        found = parse_rfc3339_ns(payload.get(key))
        if found is not None:
            return found
    return 0


class K8sAuditSource(FileSource):
    """Audit events from ``path`` (``-`` reads standard input)."""

    source = "k8s_audit"

    def _read(self, stream: IO[bytes]) -> Iterator[Event]:
        number = 0
        for line, value in read_json_values(
            stream, self.limits, self.stats, lines_only=self.follow is not None
        ):
            events = audit_events(value)
            if events is None:
                self.stats.drop(f"line {line}: {NOT_AUDIT}")
                continue
            for payload in events:
                if number >= self.limits.max_events:
                    self.stats.drop(f"line {line}: more than {self.limits.max_events} events")
                    return
                number += 1
                self.stats.read += 1
                yield Event(
                    source=self.source, time_ns=event_time_ns(payload), payload=payload, num=number
                )
