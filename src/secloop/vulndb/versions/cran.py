"""CRAN and Hackage: dot- or dash-separated numbers compared as lists.

R's ``compareVersion`` and Haskell's ``Data.Version`` both compare the number lists
element by element, a list that is a prefix of the other being smaller
(``0.1.0 < 0.1.0.0``). Non-numeric text does not occur in valid versions of either;
it is compared as text after the numbers so that nothing raises.
"""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.vulndb.versions._util import cmp

__all__ = ["compare"]

_SEPARATORS = re.compile(r"[.-]")

Key = tuple[tuple[int, str], ...]


@lru_cache(maxsize=65536)
def _key(text: str) -> Key:
    parts = [p for p in _SEPARATORS.split(text.strip()) if p != ""]
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts)


def compare(left: str, right: str) -> int:
    return cmp(_key(left), _key(right))
