"""Packagist (Composer): PHP's ``version_compare`` on canonicalised versions.

Canonical form, as Composer and OSV use it: a leading ``v`` dropped, ``-``, ``_`` and
``+`` become ``.``, and a ``.`` is inserted wherever digits meet other characters
(``1.0rc1`` is ``1.0.rc.1``); other characters stay in their word, so ``#`` is a word.
Parts compare pairwise: numbers by value; words by
their special-form rank (``dev < alpha = a < beta = b < RC = rc < # < pl = p``, anything
else below ``dev``, a number counting as ``#``). When one side runs out, a remaining
number makes it greater, and a remaining word is compared against ``#``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.vulndb.versions._util import cmp

__all__ = ["compare"]

_FORMS = (
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", 4),
    ("pl", 5),
    ("p", 5),
)
_NUMBER_FORM = 4
_TRANSITION = re.compile(r"(?<=\d)(?=[^\d.])|(?<=[^\d.])(?=\d)")
_SEPARATOR = re.compile(r"[-_+]")


def _form_rank(part: str) -> int:
    if part[:1].isdigit():
        return _NUMBER_FORM
    for name, rank in _FORMS:
        if part.startswith(name):
            return rank
    return -1


@lru_cache(maxsize=65536)
def _canonical(text: str) -> tuple[str, ...]:
    text = text.strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    text = _TRANSITION.sub(".", text)
    text = _SEPARATOR.sub(".", text)
    return tuple(p for p in text.split(".") if p)


def _compare_part(left: str, right: str) -> int:
    if left.isdigit() and right.isdigit():
        return cmp(int(left), int(right))
    return cmp(_form_rank(left), _form_rank(right))


def _compare_rest(rest: tuple[str, ...]) -> int:
    """One side ran out: a number left over wins, a word is weighed against ``#``."""
    for part in rest:
        if part.isdigit():
            return 1
        result = cmp(_form_rank(part), _NUMBER_FORM)
        if result:
            return result
    return 0


def compare(left: str, right: str) -> int:
    a, b = _canonical(left), _canonical(right)
    for x, y in zip(a, b, strict=False):
        result = _compare_part(x, y)
        if result:
            return result
    if len(a) > len(b):
        return _compare_rest(a[len(b) :])
    if len(b) > len(a):
        return -_compare_rest(b[len(a) :])
    return 0
