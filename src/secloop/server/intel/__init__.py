"""Threat intelligence for prioritisation: CISA KEV and FIRST EPSS.

:mod:`secloop.intel.feeds` downloads (bounded) and parses the two feeds into plain
values (shared with the CLI gate); ``secloop.server.storage.intel_store`` replaces
the stored copy atomically and re-prioritises findings. :func:`update` is what
``secloop intel update --server`` runs.
"""

from secloop.intel.errors import IntelError
from secloop.intel.feeds import (
    DEFAULT_EPSS_URL,
    DEFAULT_KEV_URL,
    EpssFeed,
    FeedLimits,
    KevEntry,
    KevFeed,
    fetch,
    parse_epss,
    parse_kev,
)
from secloop.server.intel.update import FeedSource, UpdateSummary, update

__all__ = [
    "DEFAULT_EPSS_URL",
    "DEFAULT_KEV_URL",
    "EpssFeed",
    "FeedLimits",
    "FeedSource",
    "IntelError",
    "KevEntry",
    "KevFeed",
    "UpdateSummary",
    "fetch",
    "parse_epss",
    "parse_kev",
    "update",
]
