"""Alpine: the ordering of ``apk version -t`` (apk-tools 2.x token walk).

A version is read as typed tokens: numbers after ``.`` (a leading zero makes the
number compare as a negative count of zeros, so ``1.01`` is not ``1.1``), one lower
case letter after a number, ``_suffix`` words (``alpha beta pre rc`` before the plain
version, ``cvs svn git hg p`` after it) with an optional number, and ``-rN`` revisions.
Both versions are walked in step while token types and values agree; then the first
different value decides, else the type that comes next (an ending version is greater
than one going on with a pre-release suffix, smaller than one going on otherwise).
Anything that does not fit the grammar (an upper-case letter, ``-r`` followed by a
word, a ``.`` not followed by a number) ends the walk as an invalid token, and an
invalid version ranks below a valid one at the point where they part, as apk-tools 3
and the OSV reference data do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from secloop.vulndb.versions._util import cmp

__all__ = ["compare"]

_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")


class _Tok(IntEnum):
    INVALID = -1
    DIGIT_OR_ZERO = 0
    DIGIT = 1
    LETTER = 2
    SUFFIX = 3
    SUFFIX_NO = 4
    REVISION_NO = 5
    END = 6


# A token type may follow a "later" one only in these cases; otherwise it is invalid.
_ALLOWED_BACKSTEPS = {
    (_Tok.DIGIT_OR_ZERO, _Tok.DIGIT),
    (_Tok.SUFFIX, _Tok.SUFFIX_NO),
    (_Tok.DIGIT, _Tok.LETTER),
}


@dataclass(slots=True)
class _Cursor:
    text: str
    pos: int = 0
    kind: _Tok = _Tok.DIGIT

    @property
    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""


def _next_kind(cur: _Cursor) -> None:
    """Read the separator after a token and decide the type of the next one."""
    char = cur.peek()
    new = _Tok.INVALID
    if cur.done:
        new = _Tok.END
    elif cur.kind in (_Tok.DIGIT, _Tok.DIGIT_OR_ZERO) and char.islower() and char.isascii():
        new = _Tok.LETTER
    elif cur.kind == _Tok.LETTER and char.isdigit():
        new = _Tok.DIGIT
    elif cur.kind == _Tok.SUFFIX and char.isdigit():
        new = _Tok.SUFFIX_NO
    else:
        if char == ".":
            new = _Tok.DIGIT_OR_ZERO
        elif char == "_":
            new = _Tok.SUFFIX
        elif char == "-" and cur.peek(1) == "r" and not cur.peek(2).isalpha():
            new = _Tok.REVISION_NO
            cur.pos += 1
        cur.pos += 1
    if new < cur.kind and (new, cur.kind) not in _ALLOWED_BACKSTEPS:
        new = _Tok.INVALID
    cur.kind = new


def _read_number(cur: _Cursor) -> int:
    start = cur.pos
    while not cur.done and cur.peek().isdigit():
        cur.pos += 1
    return int(cur.text[start : cur.pos]) if cur.pos > start else 0


def _read_suffix(cur: _Cursor) -> int | None:
    rest = cur.text[cur.pos :]
    for index, word in enumerate(_PRE_SUFFIXES):
        if rest.startswith(word):
            cur.pos += len(word)
            return index - len(_PRE_SUFFIXES)
    for index, word in enumerate(_POST_SUFFIXES):
        if rest.startswith(word):
            cur.pos += len(word)
            return index
    return None


def _read_value(cur: _Cursor) -> tuple[int | None, bool]:
    """The token's value (None: invalid), and whether a zero-run forced type DIGIT."""
    if cur.kind == _Tok.DIGIT_OR_ZERO and cur.peek() == "0":
        start = cur.pos
        while not cur.done and cur.peek() == "0":
            cur.pos += 1
        return start - cur.pos, True
    if cur.kind in (_Tok.DIGIT_OR_ZERO, _Tok.DIGIT, _Tok.SUFFIX_NO, _Tok.REVISION_NO):
        return _read_number(cur), False
    if cur.kind == _Tok.LETTER:
        cur.pos += 1
        return ord(cur.text[cur.pos - 1]), False
    if cur.kind == _Tok.SUFFIX:
        return _read_suffix(cur), False
    return None, False


def _get_token(cur: _Cursor) -> int:
    """Read one token's value and advance ``cur.kind`` to the next token's type."""
    if cur.done:
        cur.kind = _Tok.END
        return 0
    value, zeros = _read_value(cur)
    if value is None:
        cur.kind = _Tok.INVALID
        return -1
    if cur.pos >= len(cur.text):  # the value consumed the rest
        cur.kind = _Tok.END
    elif zeros:
        cur.kind = _Tok.DIGIT
    else:
        _next_kind(cur)
    return value


def _broken(cur: _Cursor) -> bool:
    """An invalid token next, or a ``.`` that is not followed by a number (``0.r1``)."""
    if cur.kind == _Tok.INVALID:
        return True
    return cur.kind == _Tok.DIGIT_OR_ZERO and not cur.peek().isdigit()


def compare(left: str, right: str) -> int:
    a, b = _Cursor(left.strip()), _Cursor(right.strip())
    a_value = b_value = 0
    while a.kind == b.kind and a.kind not in (_Tok.END, _Tok.INVALID) and a_value == b_value:
        a_value, b_value = _get_token(a), _get_token(b)
    if a_value != b_value:
        return cmp(a_value, b_value)
    if a.kind == b.kind:
        return 0
    if _broken(a) or _broken(b):  # apk 3: an invalid version ranks lowest
        return cmp(_broken(b), _broken(a))
    if a.kind == _Tok.SUFFIX and _get_token(_Cursor(a.text, a.pos, a.kind)) < 0:
        return -1
    if b.kind == _Tok.SUFFIX and _get_token(_Cursor(b.text, b.pos, b.kind)) < 0:
        return 1
    return cmp(b.kind, a.kind)
