"""Falco's own JSON output (``json_output: true``) read back as events.

Each line is an alert Falco raised: its ``output_fields`` are the flat field map of
the event, its ``source`` the event source. Replaying them through secloop's
engine re-evaluates rules (for example after tuning) on the fields Falco printed;
fields a rule needs but Falco did not print read as not available.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from secloop.runtime.event import Event
from secloop.runtime.sources.interface import FileSource
from secloop.runtime.sources.jsonlines import parse_rfc3339_ns, read_json_values

__all__ = ["FalcoJsonSource"]


class FalcoJsonSource(FileSource):
    """Events from Falco JSON output lines in ``path`` (``-`` for standard input)."""

    source = "falco_json"

    def _read(self, stream: IO[bytes]) -> Iterator[Event]:
        for line, value in read_json_values(
            stream, self.limits, self.stats, lines_only=self.follow is not None
        ):
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
