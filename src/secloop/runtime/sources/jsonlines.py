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

from secloop.runtime.jsoncodec import loads
from secloop.runtime.sources.interface import SourceLimits, SourceStats

__all__ = ["parse_rfc3339_ns", "read_json_values"]

NOT_UTF8 = "not JSON (not UTF-8 text)"

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
    taken = _line(stream, limits, stats, 1)
    if taken is None:
        return
    number, first = taken
    try:
        value = loads(first) if first.strip() else None
    except UnicodeDecodeError:
        stats.drop(f"line {number}: {NOT_UTF8}")
        value = None
    except json.JSONDecodeError:
        rest = stream.read(max(0, limits.max_file_bytes - len(first)) + 1)
        if len(first) + len(rest) > limits.max_file_bytes:
            stats.drop(f"input is larger than {limits.max_file_bytes} bytes")
            return
        try:
            yield number, loads(first + rest)
        except UnicodeDecodeError:
            stats.drop(f"input: {NOT_UTF8}")
        except json.JSONDecodeError as err:
            stats.drop(f"line {number}: not JSON ({err.msg})")
        return
    if value is not None:
        yield number, value
    yield from _lines(stream, limits, stats, start=number)


def _lines(
    stream: IO[bytes], limits: SourceLimits, stats: SourceStats, *, start: int = 1
) -> Iterator[tuple[int, Any]]:
    number = start
    while True:
        taken = _line(stream, limits, stats, number + 1)
        if taken is None:
            return
        number, line = taken
        if not line.strip():
            continue
        try:
            value = loads(line)
        except UnicodeDecodeError:
            stats.drop(f"line {number}: {NOT_UTF8}")
            continue
        except json.JSONDecodeError as err:
            stats.drop(f"line {number}: not JSON ({err.msg})")
            continue
        yield number, value


def _line(
    stream: IO[bytes], limits: SourceLimits, stats: SourceStats, number: int
) -> tuple[int, bytes] | None:
    """``(its number, the next line)`` from line ``number`` on, or None at the end; an
    over-long line is skipped and counted, and the number counts it."""
    while True:
        line = stream.readline(limits.max_event_bytes + 1)
        if not line:
            return None
        if len(line) <= limits.max_event_bytes or line.endswith(b"\n"):
            return number, line
        while line and not line.endswith(b"\n"):  # drain the rest of the long line
            line = stream.readline(limits.max_event_bytes)
        stats.drop(f"line {number}: event larger than {limits.max_event_bytes} bytes")
        number += 1


def parse_rfc3339_ns(text: object) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 time, or None when it is not one.

    The arithmetic is :func:`calendar.timegm`'s, inlined: the day of the month and the
    clock fields are added without range checks, an impossible month raises ValueError.
    The usual audit form (``2024-05-01T10:00:00.123456Z``) takes a shortcut: the
    seconds of its first 19 characters, once parsed, are remembered, and only the
    fraction is read again (events of a log come many to a second).
    """
    if not isinstance(text, str):
        return None
    if len(text) > 20 and text[19] == "." and text[-1] == "Z":  # the usual form: shortcut
        known = _SECONDS.get(text[:19])
        fraction = text[20:-1]
        if known is not None and fraction.isdecimal():
            return known * 1_000_000_000 + int(fraction[:9].ljust(9, "0"))
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    days = _date(int(year), int(month), 1).toordinal() - _EPOCH_ORDINAL + int(day) - 1
    seconds = ((days * 24 + int(hour)) * 60 + int(minute)) * 60 + int(second)
    if len(_SECONDS) >= _MAX_SECONDS:
        _SECONDS.clear()
    _SECONDS[text[:19]] = seconds  # the date and clock: 19 characters, before any zone
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * 1_000_000_000 + (int(fraction.ljust(9, "0")) if fraction else 0)


_SECONDS: dict[str, int] = {}
_MAX_SECONDS = 65_536
_EPOCH_ORDINAL = _date(1970, 1, 1).toordinal()
