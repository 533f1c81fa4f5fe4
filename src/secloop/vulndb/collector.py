"""Holding off Python's cyclic garbage collector during a scan's bulk work.

Matching a large inventory builds tens of thousands of small objects (index rows,
matches, findings) in a burst. Each allocation burst triggers collections that walk
every live object, including the inventory and everything else the process holds,
and here reclaim nothing: none of these objects forms a reference cycle, so
reference counting frees them all. Measured on 10,000 packages against 100,000
records, collections were a quarter of the scan's CPU time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector disabled for the block, then enabled again; left alone when it
    was already disabled (by the caller, or by an enclosing block), so blocks nest."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
