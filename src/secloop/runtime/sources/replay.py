"""A list-backed source: the fake of every event source, for tests and examples."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from secloop.runtime.event import Event
from secloop.runtime.sources.interface import SourceStats

__all__ = ["ReplaySource"]


class ReplaySource:
    """Replays given events, or payloads turned into events of ``source``, in order."""

    def __init__(
        self, source: str, items: Iterable[Event | Mapping[str, Any]], *, start_ns: int = 0
    ) -> None:
        self.source = source
        self.stats = SourceStats()
        self._items = list(items)
        self._start_ns = start_ns

    def __iter__(self) -> Iterator[Event]:
        for number, item in enumerate(self._items, start=1):
            self.stats.read += 1
            if isinstance(item, Event):
                yield item
            else:
                yield Event(
                    source=self.source, time_ns=self._start_ns + number, payload=item, num=number
                )
