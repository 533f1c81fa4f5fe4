"""RubyGems: ``Gem::Version`` ordering.

A version splits into runs of digits and of letters (``1.0.a10`` is 1, 0, "a", 10);
a ``-`` means ``.pre.``. Trailing zeros are dropped from the numeric head and from the
tail after the first word, so ``1.0 = 1``. Segments compare pairwise, a missing one
counting as 0, a word below any number (so ``1.0.b1 < 1.0``).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["compare"]

_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE)

Segment = int | str


def _drop_trailing_zeros(segments: list[Segment]) -> list[Segment]:
    while segments and segments[-1] == 0:
        segments.pop()
    return segments


@lru_cache(maxsize=65536)
def _canonical(text: str) -> tuple[Segment, ...]:
    raw = text.strip().replace("-", ".pre.")
    segments: list[Segment] = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(raw)]
    first_word = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    head = _drop_trailing_zeros(segments[:first_word])
    tail = _drop_trailing_zeros(segments[first_word:])
    return tuple(head + tail)


def _compare_segment(left: Segment, right: Segment) -> int:
    if isinstance(left, str) and isinstance(right, int):
        return -1
    if isinstance(left, int) and isinstance(right, str):
        return 1
    if left == right:
        return 0
    return -1 if left < right else 1  # type: ignore[operator]  # same type here


def compare(left: str, right: str) -> int:
    a, b = _canonical(left), _canonical(right)
    for index in range(max(len(a), len(b))):
        result = _compare_segment(
            a[index] if index < len(a) else 0, b[index] if index < len(b) else 0
        )
        if result:
            return result
    return 0
