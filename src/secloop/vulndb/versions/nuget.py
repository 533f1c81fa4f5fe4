"""NuGet: up to four numbers (``System.Version``) plus a SemVer 2.0 pre-release.

NuGet compares pre-release labels case-insensitively and ignores build metadata;
missing numbers are 0 (``1.0 = 1.0.0.0``) and leading zeros do not count.
"""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.vulndb.versions import semver
from secloop.vulndb.versions._util import cmp

__all__ = ["compare"]

_NUMBERS = re.compile(r"^[vV]?(\d+(?:\.\d+)*)")

Parsed = tuple[tuple[int, ...], tuple[str, ...]]


@lru_cache(maxsize=65536)
def _parse(text: str) -> Parsed:
    text = text.strip().split("+", 1)[0]
    match = _NUMBERS.match(text)
    numbers = [int(n) for n in match.group(1).split(".")] if match else []
    numbers += [0] * (4 - len(numbers))
    rest = text[match.end() :] if match else text
    label = rest[1:] if rest.startswith("-") else rest
    return tuple(numbers), tuple(label.lower().split(".")) if label else ()


def compare(left: str, right: str) -> int:
    (a_numbers, a_label), (b_numbers, b_label) = _parse(left), _parse(right)
    width = max(len(a_numbers), len(b_numbers))
    result = cmp(
        a_numbers + (0,) * (width - len(a_numbers)), b_numbers + (0,) * (width - len(b_numbers))
    )
    if result:
        return result
    if not a_label or not b_label:
        return cmp(not a_label, not b_label)
    return semver.compare_identifiers(a_label, b_label)
