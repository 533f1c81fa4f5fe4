"""Pub (Dart): SemVer where build metadata also orders, as ``pub_semver`` does.

A version without build metadata sorts before the same version with it, and build
identifiers compare like pre-release identifiers (``1.2.3+9 < 1.2.3+a``).
"""

from __future__ import annotations

from secloop.vulndb.versions import semver
from secloop.vulndb.versions._util import cmp

__all__ = ["compare"]


def compare(left: str, right: str) -> int:
    a, b = semver.parse(left), semver.parse(right)
    result = semver.compare_parsed(a, b)
    if result:
        return result
    if not a.build or not b.build:
        return cmp(bool(a.build), bool(b.build))
    return semver.compare_identifiers(a.build, b.build)
