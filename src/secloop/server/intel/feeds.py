"""The KEV and EPSS parsers live in :mod:`secloop.intel.feeds` (shared with the CLI
gate and its local cache); the server imports them from here."""

from __future__ import annotations

from secloop.intel.errors import IntelError
from secloop.intel.feeds import (
    DEFAULT_EPSS_URL,
    DEFAULT_KEV_URL,
    EpssFeed,
    FeedLimits,
    FeedSource,
    KevEntry,
    KevFeed,
    fetch,
    parse_epss,
    parse_kev,
)

__all__ = [
    "DEFAULT_EPSS_URL",
    "DEFAULT_KEV_URL",
    "EpssFeed",
    "FeedLimits",
    "FeedSource",
    "IntelError",
    "KevEntry",
    "KevFeed",
    "fetch",
    "parse_epss",
    "parse_kev",
]
