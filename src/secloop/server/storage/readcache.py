"""Reuse of slow aggregate reads for a few seconds (the dashboard overview at scale).

With a million findings the overview's counts and debt trend each aggregate ~700k
index entries (about half a second on PostgreSQL): every page view repeating that
work would keep the overview far from its 300 ms target and load the database.
A result that took longer than ``slow_seconds`` to compute is reused for
``reuse_seconds``; fast results (every small deployment, every test) are never
reused, so their pages stay exact at once after a change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["SlowReadCache", "overview_cache"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    expires: float


@dataclass(slots=True)
class SlowReadCache:
    """Results of slow reads by key, each kept until it expires (thread-safe)."""

    slow_seconds: float = 0.25
    reuse_seconds: float = 15.0
    clock: Callable[[], float] = time.monotonic
    _entries: dict[Hashable, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s result, or a slow one computed less than ``reuse_seconds`` ago."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > now:
                value: T = entry.value
                return value
        value = compute()
        took = self.clock() - now
        with self._lock:
            if took >= self.slow_seconds:
                self._entries[key] = _Entry(value, self.clock() + self.reuse_seconds)
            else:  # fast again (rows deleted, a quieter database): stop reusing
                self._entries.pop(key, None)
        return value


#: The overview's counts and trend, per database and reader's set of projects.
overview_cache = SlowReadCache()
