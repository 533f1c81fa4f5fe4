"""Falco's own JSON output (``json_output: true``) read back as events.

Each line is an alert Falco raised: its ``output_fields`` are the flat field map of
the event, its ``source`` the event source. Replaying them through secloop's
engine re-evaluates rules (for example after tuning) on the fields Falco printed;
fields a rule needs but Falco did not print read as not available.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from secloop.runtime.event import Event
from secloop.runtime.sources.interface import SourceLimits, SourceStats
from secloop.runtime.sources.jsonlines import parse_rfc3339_ns, read_json_values

__all__ = ["FalcoJsonSource"]


class FalcoJsonSource:
    """Events from Falco JSON output lines in ``path`` (``-`` for standard input)."""

    source = "falco_json"

    def __init__(self, path: Path | str, limits: SourceLimits | None = None) -> None:
        self.path = Path(path) if str(path) != "-" else None
        self.limits = limits or SourceLimits()
        self.stats = SourceStats()

    def __iter__(self) -> Iterator[Event]:
        if self.path is None:
            yield from self._read(sys.stdin.buffer)
            return
        with self.path.open("rb") as stream:
            yield from self._read(stream)

    def _read(self, stream: IO[bytes]) -> Iterator[Event]:
        for line, value in read_json_values(stream, self.limits, self.stats):
            fields = value.get("output_fields") if isinstance(value, dict) else None
            if not isinstance(fields, dict):
                self.stats.drop(f"line {line}: not a Falco JSON alert (no output_fields)")
                continue
            self.stats.read += 1
            source = value.get("source")
            yield Event(
                source=source if isinstance(source, str) else "syscall",
                time_ns=parse_rfc3339_ns(value.get("time")) or 0,
                payload=fields,
                num=self.stats.read,
            )
