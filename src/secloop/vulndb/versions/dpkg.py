"""Debian and Ubuntu: dpkg's version ordering (Debian Policy 5.6.12).

``[epoch:]upstream[-revision]``: the epoch numerically, then upstream and revision
each with dpkg's alternating comparison: a non-digit run, character by character where
``~`` sorts before everything (even the end), letters before other characters; then a
digit run by value. A missing revision equals ``0``.
"""

from __future__ import annotations

from functools import lru_cache

from secloop.vulndb.versions._util import cmp, sign

__all__ = ["compare", "compare_part"]

Parsed = tuple[int, str, str]


@lru_cache(maxsize=65536)
def _parse(text: str) -> Parsed:
    text = text.strip()
    epoch = 0
    head, colon, rest = text.partition(":")
    if colon and head.isdigit():
        epoch, text = int(head), rest
    upstream, dash, revision = text.rpartition("-")
    if not dash:
        return epoch, text, ""
    return epoch, upstream, revision


def _order(char: str) -> int:
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if char.isascii() and char.isalpha():
        return ord(char)
    return ord(char) + 256


def _split_digits(text: str, index: int) -> tuple[int, int]:
    end = index
    while end < len(text) and text[end].isdigit():
        end += 1
    return (int(text[index:end]) if end > index else 0), end


def compare_part(left: str, right: str) -> int:
    """dpkg's ``verrevcmp``: alternate non-digit and digit runs until one differs."""
    i = j = 0
    while i < len(left) or j < len(right):
        while (i < len(left) and not left[i].isdigit()) or (
            j < len(right) and not right[j].isdigit()
        ):
            a = _order(left[i]) if i < len(left) and not left[i].isdigit() else 0
            b = _order(right[j]) if j < len(right) and not right[j].isdigit() else 0
            if a != b:
                return sign(a - b)
            i += 1 if i < len(left) and not left[i].isdigit() else 0
            j += 1 if j < len(right) and not right[j].isdigit() else 0
        a_number, i = _split_digits(left, i)
        b_number, j = _split_digits(right, j)
        if a_number != b_number:
            return cmp(a_number, b_number)
    return 0


def compare(left: str, right: str) -> int:
    (a_epoch, a_up, a_rev), (b_epoch, b_up, b_rev) = _parse(left), _parse(right)
    return cmp(a_epoch, b_epoch) or compare_part(a_up, b_up) or compare_part(a_rev, b_rev)
