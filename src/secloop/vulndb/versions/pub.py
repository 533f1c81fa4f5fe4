"""Pub (Dart): SemVer where build metadata also orders, as ``pub_semver`` does.

A version without build metadata sorts before the same version with it, and build
identifiers compare like pre-release identifiers (``1.2.3+9 < 1.2.3+a``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from secloop.vulndb.versions import semver
from secloop.vulndb.versions._util import cmp

__all__ = ["compare", "sort_key"]


def compare(left: str, right: str) -> int:
    a, b = semver.parse(left), semver.parse(right)
    result = semver.compare_parsed(a, b)
    if result:
        return result
    if not a.build or not b.build:
        return cmp(bool(a.build), bool(b.build))
    return semver.compare_identifiers(a.build, b.build)


@lru_cache(maxsize=65536)
def sort_key(text: str) -> tuple[Any, ...]:
    """:func:`compare` as a key: the SemVer key, then no build before any build."""
    build = semver.parse(text).build
    return (*semver.sort_key(text), 1 if build else 0, semver.identifiers_key(build))
