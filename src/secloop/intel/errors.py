"""Errors of the threat-intelligence feeds and their local cache.

::

    Error
    ├── IntelError               a KEV/EPSS feed or the cache cannot be read; nothing changed
    └── UsageError
        └── IntelCacheMissingError   an exploit gate was asked for, but no feed was loaded

Who is at fault decides the branch: the feed or the disk (IntelError, exit 3), or the
user who asked for ``--fail-on-kev`` before running ``secloop intel update`` (exit 2).
"""

from __future__ import annotations

from secloop.core.errors import Error, UsageError

__all__ = ["IntelCacheMissingError", "IntelError"]


class IntelError(Error):
    """A threat-intelligence feed is unreachable, too large or malformed; nothing was stored."""


class IntelCacheMissingError(UsageError):
    """``--fail-on-kev``/``--epss-above`` need a feed that was never loaded."""
