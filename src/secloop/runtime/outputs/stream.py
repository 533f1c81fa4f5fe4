"""Alerts written as lines: to standard output (``--output stdout``) or a JSON-lines file.

``stdout`` keeps ``--format json|text``; ``jsonl:PATH`` always writes JSON and appends,
flushing each line, so that ``tail -f`` and log shippers see alerts as they happen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import IO, assert_never

from secloop.runtime.outputs.interface import AlertSink, Notice, SinkError

__all__ = ["JsonLinesSink", "LineFormat", "StdoutSink", "notice_line"]


class LineFormat(Enum):
    JSON = "json"
    TEXT = "text"


def notice_line(notice: Notice, fmt: LineFormat) -> str:
    """One notice as ``secloop detect`` prints it."""
    match fmt:
        case LineFormat.JSON:
            return json.dumps(notice.to_json_dict(), ensure_ascii=False)
        case LineFormat.TEXT:
            return notice.to_text()
        case _:  # pragma: no cover - exhaustive
            assert_never(fmt)


class StdoutSink(AlertSink):
    """Lines handed to ``write`` (``click.echo`` in the CLI), one per notice."""

    name = "stdout"

    def __init__(self, write: Callable[[str], None], fmt: LineFormat = LineFormat.JSON) -> None:
        super().__init__()
        self._write = write
        self._fmt = fmt

    def emit(self, notice: Notice) -> None:
        self._write(notice_line(notice, self._fmt))
        self.stats.delivered += 1


class JsonLinesSink(AlertSink):
    """JSON lines appended to ``path``; the file is opened on the first alert."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.name = f"jsonl:{path}"
        self._file: IO[str] | None = None

    def emit(self, notice: Notice) -> None:
        line = notice_line(notice, LineFormat.JSON) + "\n"
        try:
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(line)
            self._file.flush()
        except OSError as err:
            raise SinkError(f"cannot write alerts to {self.path}: {err.strerror}") from None
        self.stats.delivered += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
