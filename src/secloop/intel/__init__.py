"""Exploit intelligence shared by the CLI gate, the reports and the findings server.

``feeds`` fetches (bounded) and parses CISA KEV and FIRST EPSS into plain values;
``cache`` keeps a local copy the CLI reads without a server or network; ``model``
says what the feeds know about one finding. Above ``core``, below ``policy`` and
``output``, so the gate and every report format can use it.
"""

from secloop.intel.cache import CacheUpdate, IntelCache, default_cache_path, update_cache
from secloop.intel.errors import IntelCacheMissingError, IntelError
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
from secloop.intel.model import ExploitSignal, FeedInfo, IntelSnapshot, KevMark, vulnerability_ids

__all__ = [
    "DEFAULT_EPSS_URL",
    "DEFAULT_KEV_URL",
    "CacheUpdate",
    "EpssFeed",
    "ExploitSignal",
    "FeedInfo",
    "FeedLimits",
    "FeedSource",
    "IntelCache",
    "IntelCacheMissingError",
    "IntelError",
    "IntelSnapshot",
    "KevEntry",
    "KevFeed",
    "KevMark",
    "default_cache_path",
    "fetch",
    "parse_epss",
    "parse_kev",
    "update_cache",
    "vulnerability_ids",
]
