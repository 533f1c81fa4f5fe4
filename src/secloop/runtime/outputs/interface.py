"""What an alert output is: a sink that takes notices and accounts for what it lost.

A :class:`Notice` is what leaves the throttle: one alert, standing for ``repeats``
identical alerts (the same rule and output line) that the de-duplication window
folded into it. A sink counts every notice it delivered, failed to deliver or had
to drop (a full queue), with a bounded sample of reasons, so that a detection run
can say "webhook: 3 failed" instead of losing alerts silently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from secloop.core.errors import Error
from secloop.runtime.event import Alert

__all__ = ["AlertSink", "Notice", "SinkError", "SinkStats"]

_MAX_REASONS = 10


class SinkError(Error):
    """An output cannot take alerts (unwritable file, unreachable server)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """An alert as a sink receives it; ``repeats`` > 1 summarises folded duplicates."""

    alert: Alert
    repeats: int = 1

    def to_json_dict(self) -> dict[str, Any]:
        """The alert's JSON line, with ``repeats`` when it stands for several alerts."""
        data = self.alert.to_json_dict()
        if self.repeats > 1:
            data["repeats"] = self.repeats
        return data

    def to_text(self) -> str:
        text = self.alert.to_text()
        return f"{text} (repeated {self.repeats} times)" if self.repeats > 1 else text


@dataclass(slots=True)
class SinkStats:
    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    reasons: list[str] = field(default_factory=list)

    def fail(self, reason: str, count: int = 1) -> None:
        self.failed += count
        self._note(reason)

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped += count
        self._note(reason)

    def _note(self, reason: str) -> None:
        if len(self.reasons) < _MAX_REASONS:
            self.reasons.append(reason)


class AlertSink(ABC):
    """One output. ``emit`` must not block on the network; ``close`` flushes what is left."""

    name: str

    def __init__(self) -> None:
        self.stats = SinkStats()

    @abstractmethod
    def emit(self, notice: Notice) -> None:
        """Deliver or queue one notice; raise :class:`SinkError` when it cannot."""

    def close(self) -> None:  # noqa: B027 - most sinks have nothing to flush
        """Deliver what is still queued, then release resources."""
