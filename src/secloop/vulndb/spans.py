"""OSV ranges compiled at import into byte intervals: the database's precompiled form.

For an ecosystem with a binary version key (:mod:`secloop.vulndb.versions.binary`)
each ECOSYSTEM or SEMVER range is turned, once, into the set of versions it affects,
written as half-open intervals ``[low, high)`` of encoded keys (``high`` None: no
upper end). A version is in the range exactly when its key lies in one interval, so a
scan needs neither the record nor the event walk, and the database can store the
intervals in a table next to the lookup index (:mod:`secloop.vulndb.store`).

How a range becomes intervals, following the reference walk of
:func:`secloop.vulndb.matching.range_contains`:

1. Events are grouped by version key (``introduced: "0"`` below every version).
2. Between two consecutive keys the state is that left by the group below: affected
   when every event there is an ``introduced`` (a ``fixed`` or ``last_affected`` at
   that key sorts after it and ends the range).
3. At a key itself: not affected when a ``fixed`` is there, affected when an
   ``introduced`` is, else (only ``last_affected``) the state from below.
4. ``limit`` events: a version at or past every limit is outside the range, so the
   intervals are cut at the highest limit.

:mod:`secloop.vulndb.compiled` proves the per-key rule (2, 3) equal to the schema's
walk; tests check the intervals against the reference on random ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secloop.core.advisory import EventKind
from secloop.vulndb.versions.binary import BinaryKey, successor

__all__ = ["EntryForm", "Span", "compile_entry", "range_spans"]

_INTRODUCED = EventKind.INTRODUCED.value
_FIXED = EventKind.FIXED.value
_LIMIT = EventKind.LIMIT.value
_EVALUATED = frozenset({"ECOSYSTEM", "SEMVER"})
_LOWEST = b""  # below every encoded key: encodings are never empty

Span = tuple[bytes, bytes | None]  # [low, high); high None: unbounded
Group = tuple[bytes, set[str]]  # an event key and the kinds of the events there


class UnencodableVersionError(ValueError):
    """An event version with no binary key: the record is matched the general way."""


def _key(binary: BinaryKey, version: str) -> bytes:
    encoded = binary(version)
    if encoded is None:
        raise UnencodableVersionError(version)
    return encoded


def _groups(events: Sequence[Sequence[str]], binary: BinaryKey) -> tuple[bool, list[Group]]:
    """(1): whether an ``introduced: "0"`` is present, and the kinds at each key, sorted."""
    zero = False
    at: dict[bytes, set[str]] = {}
    for kind, version in events:
        if kind == _LIMIT:
            continue
        if kind == _INTRODUCED and version == "0":
            zero = True
            continue
        at.setdefault(_key(binary, version), set()).add(kind)
    return zero, sorted(at.items())


def _merged(spans: list[Span]) -> list[Span]:
    """Adjacent intervals (one's end is the next's start) as one."""
    merged: list[Span] = []
    for low, high in spans:
        if merged and merged[-1][1] == low:
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _capped(spans: list[Span], cap: bytes) -> list[Span]:
    """(4): the part of each interval below ``cap``."""
    capped: list[Span] = []
    for low, high in spans:
        end = cap if high is None or cap < high else high
        if low < end:
            capped.append((low, end))
    return capped


def range_spans(events: Sequence[Sequence[str]], binary: BinaryKey) -> list[Span]:
    """The affected versions of one range (``[kind, version]`` events) as intervals.
    UnencodableVersionError when an event version has no binary key."""
    zero, groups = _groups(events, binary)
    spans: list[Span] = []
    below = zero  # the state left by the events under the current key
    start = _LOWEST  # where the stretch above the previous key begins
    for key, kinds in groups:
        if below:  # (2) the stretch up to this key
            spans.append((start, key))
        at_key = _FIXED not in kinds and (_INTRODUCED in kinds or below)  # (3)
        if at_key:
            spans.append((key, successor(key)))
        below = kinds == {_INTRODUCED}  # (2) only an introduced leaves it affected
        start = successor(key)
    if below:
        spans.append((start, None))
    limits = [_key(binary, v) for k, v in events if k == _LIMIT]
    spans = _merged(spans)
    return _capped(spans, max(limits)) if limits else spans


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryForm:
    """One ``affected[]`` entry compiled: its intervals per range, its listed versions
    and its fixes (range index, version, key), in the record's order."""

    spans: tuple[tuple[int, Span], ...]
    versions: tuple[str, ...]
    fixes: tuple[tuple[int, str, bytes], ...]


def compile_entry(
    ranges: Sequence[tuple[str, Sequence[Sequence[str]]]],
    versions: Sequence[str],
    binary: BinaryKey,
) -> EntryForm:
    """The stored entry layout (``[type, events]`` ranges; GIT ranges ignored).
    UnencodableVersionError when a version in an evaluated range has no binary key."""
    spans: list[tuple[int, Span]] = []
    fixes: list[tuple[int, str, bytes]] = []
    for index, (kind, events) in enumerate(ranges):
        if kind not in _EVALUATED:
            continue
        spans.extend((index, span) for span in range_spans(events, binary))
        fixes.extend((index, v, _key(binary, v)) for k, v in events if k == _FIXED)
    # a listed version inside an interval changes nothing: the range already says so
    unique = dict.fromkeys(versions)
    uncovered = [v for v in unique if not _covered(binary(v), spans)] if spans else unique
    return EntryForm(spans=tuple(spans), versions=tuple(uncovered), fixes=tuple(fixes))


def _covered(key: bytes | None, spans: Sequence[tuple[int, Span]]) -> bool:
    return key is not None and any(
        low <= key and (high is None or key < high) for _, (low, high) in spans
    )
