"""Red Hat, Rocky, AlmaLinux, openSUSE, SUSE: rpm's ``rpmvercmp`` with epochs.

``[epoch:]version[-release]``; each part compares by rpm's segment walk: separators
(anything not an ASCII letter or digit, ``~`` or ``^``) are skipped; ``~`` sorts before
everything including the end (pre-releases), ``^`` after the end but before anything
else (post-release snapshots); then a digit run against a digit run by value, a letter
run against a letter run by ASCII, a digit run beating a letter run. Whoever has
segments left wins. The epoch is compared with the same walk (a missing one is ``0``),
which also gives a defined order to the malformed "epochs" some advisories carry.
A missing release sorts before any release, even an empty one.
"""

from __future__ import annotations

from functools import lru_cache
from string import ascii_letters, digits

from secloop.vulndb.versions._util import cmp

__all__ = ["compare", "rpmvercmp"]

_ALNUM = frozenset(ascii_letters + digits)
_DIGITS = frozenset(digits)
_LETTERS = frozenset(ascii_letters)

Parsed = tuple[str, str, str | None]


@lru_cache(maxsize=65536)
def _parse(text: str) -> Parsed:
    epoch, colon, rest = text.strip().partition(":")
    if not colon:
        epoch, rest = "0", text.strip()
    version, dash, release = rest.rpartition("-")
    if not dash:
        return epoch, rest, None
    return epoch, version, release


def _skip_separators(text: str, index: int) -> int:
    while index < len(text) and text[index] not in _ALNUM and text[index] not in "~^":
        index += 1
    return index


def _run(text: str, index: int, chars: frozenset[str]) -> int:
    while index < len(text) and text[index] in chars:
        index += 1
    return index


def _compare_segment(a: str, b: str, numeric: bool) -> int:
    if numeric:
        return cmp(int(a), int(b))
    return cmp(a, b)


def _tilde_or_caret(left: str, i: int, right: str, j: int) -> int | None:
    """The ``~`` and ``^`` rules; 0 when both sides have one (consume, go on), None when
    neither side is at one."""
    a = left[i] if i < len(left) else ""
    b = right[j] if j < len(right) else ""
    if "~" in (a, b):
        # "~" sorts before anything, even the end of the string
        return cmp(a != "~", b != "~")
    if "^" in (a, b):
        # "^" sorts after the end of the string but before anything else
        if not a or not b:
            return cmp(bool(a), bool(b))
        return cmp(a != "^", b != "^")
    return None


def rpmvercmp(left: str, right: str) -> int:
    """Compare two version or release strings segment by segment."""
    if left == right:
        return 0
    i = j = 0
    while i < len(left) or j < len(right):
        i, j = _skip_separators(left, i), _skip_separators(right, j)
        special = _tilde_or_caret(left, i, right, j)
        if special is not None:
            if special:
                return special
            i, j = i + 1, j + 1
            continue
        if i >= len(left) or j >= len(right):
            break
        chars = _DIGITS if left[i] in _DIGITS else _LETTERS
        end_i, end_j = _run(left, i, chars), _run(right, j, chars)
        if end_j == j:  # digits against letters: the digits win
            return 1 if chars is _DIGITS else -1
        result = _compare_segment(left[i:end_i], right[j:end_j], chars is _DIGITS)
        if result:
            return result
        i, j = end_i, end_j
    return cmp(i < len(left), j < len(right))


def compare(left: str, right: str) -> int:
    (a_epoch, a_version, a_release), (b_epoch, b_version, b_release) = _parse(left), _parse(right)
    result = rpmvercmp(a_epoch, b_epoch) or rpmvercmp(a_version, b_version)
    if result:
        return result
    if a_release is None or b_release is None:
        return cmp(a_release is not None, b_release is not None)
    return rpmvercmp(a_release, b_release)
