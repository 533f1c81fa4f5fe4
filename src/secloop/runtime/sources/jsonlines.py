"""Bounded reading of JSON event files: JSON lines, or one JSON document.

Steps for one input:

1. read the first line (at most ``max_event_bytes``); if it is a complete JSON value,
   the input is JSON lines: decode line by line, dropping (and counting) lines that
   are too long or not JSON;
2. otherwise the input is one pretty-printed document (an array or an ``EventList``):
   read it whole, bounded by ``max_file_bytes``, and decode it once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date as _date
from typing import IO, Any

from secloop.runtime.sources.interface import SourceLimits, SourceStats

__all__ = ["parse_rfc3339_ns", "read_json_values"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9})\d*)?(Z|z|[+-]\d\d:\d\d)?"
)


def read_json_values(
    stream: IO[bytes], limits: SourceLimits, stats: SourceStats, *, lines_only: bool = False
) -> Iterator[tuple[int, Any]]:
    """``(line number, decoded value)`` pairs; bad lines are counted in ``stats``.

    ``lines_only`` skips step (2): a followed file is JSON lines, and a bad first line
    is one dropped event, not the end of the input.
    """
    if lines_only:
        yield from _lines(stream, limits, stats, start=0)
        return
    first = _line(stream, limits, stats, 1)
    if first is None:
        return
    try:
        value = json.loads(first) if first.strip() else None
    except json.JSONDecodeError:
        rest = stream.read(max(0, limits.max_file_bytes - len(first)) + 1)
        if len(first) + len(rest) > limits.max_file_bytes:
            stats.drop(f"input is larger than {limits.max_file_bytes} bytes")
            return
        try:
            yield 1, json.loads(first + rest)
        except json.JSONDecodeError as err:
            stats.drop(f"line 1: not JSON ({err.msg})")
        return
    if value is not None:
        yield 1, value
    yield from _lines(stream, limits, stats)


def _lines(
    stream: IO[bytes], limits: SourceLimits, stats: SourceStats, *, start: int = 1
) -> Iterator[tuple[int, Any]]:
    number = start
    while True:
        number += 1
        line = _line(stream, limits, stats, number)
        if line is None:
            return
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as err:
            stats.drop(f"line {number}: not JSON ({err.msg})")


def _line(stream: IO[bytes], limits: SourceLimits, stats: SourceStats, number: int) -> bytes | None:
    """The next line, or None at the end; an over-long line is skipped and counted."""
    while True:
        line = stream.readline(limits.max_event_bytes + 1)
        if not line:
            return None
        if len(line) <= limits.max_event_bytes or line.endswith(b"\n"):
            return line
        while line and not line.endswith(b"\n"):  # drain the rest of the long line
            line = stream.readline(limits.max_event_bytes)
        stats.drop(f"line {number}: event larger than {limits.max_event_bytes} bytes")
        number += 1


def parse_rfc3339_ns(text: object) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 time, or None when it is not one.

    The arithmetic is :func:`calendar.timegm`'s, inlined: the day of the month and the
    clock fields are added without range checks, an impossible month raises ValueError.
    """
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    days = _date(int(year), int(month), 1).toordinal() - _EPOCH_ORDINAL + int(day) - 1
    seconds = ((days * 24 + int(hour)) * 60 + int(minute)) * 60 + int(second)
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * 1_000_000_000 + (int(fraction.ljust(9, "0")) if fraction else 0)


_EPOCH_ORDINAL = _date(1970, 1, 1).toordinal()
