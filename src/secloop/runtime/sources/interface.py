"""What an event source is: an iterable of events that accounts for what it dropped.

Every source counts what it read and what it had to drop (not JSON, not an event of
its kind, too large), with a bounded sample of reasons, so that a detection run can
report "N events dropped" instead of losing them silently.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol, cast

from secloop.runtime.event import Event
from secloop.runtime.sources.follow import FollowConfig, FollowStream

__all__ = ["EventSource", "FileSource", "SourceLimits", "SourceStats"]

_MAX_REASONS = 20


@dataclass(frozen=True, slots=True)
class SourceLimits:
    """Bounds on untrusted input, in bytes and counts."""

    max_event_bytes: int = 1024 * 1024
    max_file_bytes: int = 4 * 1024 * 1024 * 1024
    max_events: int = 100_000_000


@dataclass(slots=True)
class SourceStats:
    read: int = 0
    dropped: int = 0
    reasons: list[str] = field(default_factory=list)

    def drop(self, reason: str) -> None:
        self.dropped += 1
        if len(self.reasons) < _MAX_REASONS:
            self.reasons.append(reason)


class EventSource(Protocol):
    """A source of events of one kind (``source`` is the rules' ``source:`` name)."""

    source: str
    stats: SourceStats

    def __iter__(self) -> Iterator[Event]: ...


class FileSource(ABC):
    """A source that reads one file, or standard input when the path is ``-``.

    With ``follow`` set, the file is read as ``tail -F`` does (JSON lines only) until
    :meth:`stop`; see :mod:`secloop.runtime.sources.follow`.
    """

    source: str

    def __init__(
        self,
        path: Path | str,
        limits: SourceLimits | None = None,
        *,
        follow: FollowConfig | None = None,
    ) -> None:
        self.path = Path(path) if str(path) != "-" else None
        self.limits = limits or SourceLimits()
        self.stats = SourceStats()
        self.follow = follow
        self._follower: FollowStream | None = None
        self._stopping = False

    def stop(self) -> None:
        """End a followed file at its next poll; safe from a signal handler."""
        self._stopping = True
        if self._follower is not None:
            self._follower.stop()

    def __iter__(self) -> Iterator[Event]:
        if self.path is None:
            yield from self._read(sys.stdin.buffer)
            return
        if self.follow is not None:
            yield from self._follow(self.path, self.follow)
            return
        with self.path.open("rb") as stream:
            yield from self._read(stream)

    def _follow(self, path: Path, config: FollowConfig) -> Iterator[Event]:
        follower = FollowStream(path, config)
        self._follower = follower
        if self._stopping:
            follower.stop()
        try:
            yield from self._read(cast("IO[bytes]", follower))
        finally:
            follower.close()

    @abstractmethod
    def _read(self, stream: IO[bytes]) -> Iterator[Event]:
        """The events of one byte stream, counting what is dropped in ``self.stats``."""
