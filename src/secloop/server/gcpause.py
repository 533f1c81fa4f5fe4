"""Pausing Python's cyclic garbage collector while an ingest allocates.

Parsing a 100,000-finding report allocates millions of small objects that live until
the ingest ends. Every few hundred allocations the collector runs, and its older
generations re-walk everything allocated so far: measured on issue 7's benchmark,
the report parse alone took 14 s of CPU with the collector and 4 s without. The
ingest's objects hold no reference cycles worth collecting early (reference counting
frees them when the ingest returns), so the collector is paused for its duration.

The pause is process-wide and ingests run on several threads, so it is counted: the
collector comes back when the last paused block ends, and only if it was on before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


class _Pause:
    """The count of paused blocks, and whether the collector was on before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.depth += 1

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.was_enabled:
                gc.enable()


_PAUSE = _Pause()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (nested and concurrent uses count)."""
    _PAUSE.enter()
    try:
        yield
    finally:
        _PAUSE.leave()
