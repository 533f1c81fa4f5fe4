"""SemVer 2.0 as OSV applies it to npm, crates.io, Go and Hex, and Pub's variant.

OSV compares leniently: a leading ``v`` is dropped (Go writes ``v1.2.3``), missing
minor and patch count as 0, and anything after the third number is build metadata,
ignored for ordering. Go pseudo-versions (``v0.0.0-20191109021931-daa7c04131f5``) are
SemVer pre-releases by construction, so they need no special case; ``+incompatible``
is build metadata. Pub differs only in that build metadata orders too
(``1.0.0 < 1.0.0+build``), compared like pre-release identifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from secloop.vulndb.versions._util import cmp

__all__ = ["SemVer", "compare", "compare_identifiers", "identifiers_key", "parse", "sort_key"]

_CORE = re.compile(r"^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class SemVer:
    core: tuple[int, int, int]
    prerelease: tuple[str, ...]
    build: tuple[str, ...]


@lru_cache(maxsize=65536)
def parse(text: str) -> SemVer:
    """Split into numbers, pre-release and build; never fails (OSV is lenient)."""
    text = text.strip()
    match = _CORE.match(text)
    numbers = [int(g) if g else 0 for g in match.groups()] if match else [0, 0, 0]
    rest = text[match.end() :] if match else text
    build = ""
    if "+" in rest:
        rest, build = rest.split("+", 1)
    if rest.startswith("."):  # a fourth number: build metadata for OSV
        build, rest = rest[1:] + ("+" + build if build else ""), ""
    prerelease = rest[1:] if rest.startswith("-") else rest
    return SemVer(
        core=(numbers[0], numbers[1], numbers[2]),
        prerelease=tuple(prerelease.split(".")) if prerelease else (),
        build=tuple(build.split(".")) if build else (),
    )


def _compare_identifier(left: str, right: str) -> int:
    """SemVer 2.0 section 11.4: numeric < alphanumeric, numbers by value, text by ASCII."""
    left_num, right_num = left.isdigit(), right.isdigit()
    if left_num and right_num:
        return cmp(int(left), int(right))
    if left_num != right_num:
        return -1 if left_num else 1
    return cmp(left, right)


def compare_identifiers(left: tuple[str, ...], right: tuple[str, ...]) -> int:
    """Identifier by identifier; a shorter list that is a prefix is smaller."""
    for a, b in zip(left, right, strict=False):
        result = _compare_identifier(a, b)
        if result:
            return result
    return cmp(len(left), len(right))


def compare_parsed(a: SemVer, b: SemVer) -> int:
    """SemVer 2.0 section 11: numbers, then a release above any of its pre-releases."""
    result = cmp(a.core, b.core)
    if result:
        return result
    if not a.prerelease or not b.prerelease:
        return cmp(not a.prerelease, not b.prerelease)
    return compare_identifiers(a.prerelease, b.prerelease)


def compare(left: str, right: str) -> int:
    return compare_parsed(parse(left), parse(right))


IdentifierKey = tuple[tuple[int, int, str], ...]


def _identifier_key(identifier: str) -> tuple[int, int, str]:
    """Section 11.4 as a key: numeric identifiers (by value) before alphanumeric ones."""
    if identifier.isdigit():
        try:
            return (0, int(identifier), "")
        except ValueError:  # a Unicode digit int() rejects: compare() would have failed
            pass
    return (1, 0, identifier)


def identifiers_key(identifiers: tuple[str, ...]) -> IdentifierKey:
    """Tuple order gives "a shorter list that is a prefix is smaller" for free."""
    return tuple(_identifier_key(i) for i in identifiers)


@lru_cache(maxsize=131072)
def sort_key(text: str) -> tuple[tuple[int, int, int], int, IdentifierKey]:
    """A key ordered exactly as :func:`compare` (a release after its pre-releases;
    build metadata ignored), so ranges can be bisected instead of walked pairwise."""
    parsed = parse(text)
    return (parsed.core, 0 if parsed.prerelease else 1, identifiers_key(parsed.prerelease))
