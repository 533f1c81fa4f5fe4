"""Small helpers shared by the version schemes."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)


def sign(value: int) -> int:
    """Collapse a difference to -1, 0 or 1, the contract of every ``compare``."""
    return (value > 0) - (value < 0)


def cmp(left: T, right: T) -> int:
    """Three-way comparison of two values of one ordered type."""
    if left < right:
        return -1
    if right < left:
        return 1
    return 0
