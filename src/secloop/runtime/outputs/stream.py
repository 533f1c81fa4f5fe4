"""Alerts written as lines: to standard output (``--output stdout``) or a JSON-lines file.

``stdout`` keeps ``--format json|text``; ``jsonl:PATH`` always writes JSON and appends,
flushing each line, so that ``tail -f`` and log shippers see alerts as they happen.
JSON lines come from :meth:`Alert.json_line` (orjson when installed, same text).
"""

from __future__ import annotations

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
            return notice.alert.json_line(notice.repeats)
        case LineFormat.TEXT:
            return notice.to_text()
        case _:  # pragma: no cover - exhaustive
            assert_never(fmt)


class StdoutSink(AlertSink):
    """Lines handed to ``write`` (``click.echo`` in the CLI), one per notice.

    With ``batch_lines`` > 1, up to that many lines are joined and handed over at
    once (``close`` hands over the rest): a replay writes tens of thousands of alerts
    and one ``write`` per line costs as much as encoding it. A followed file or the
    webhook endpoint keeps 1, so that each alert shows as it happens.
    """

    name = "stdout"

    def __init__(
        self,
        write: Callable[[str], None],
        fmt: LineFormat = LineFormat.JSON,
        *,
        batch_lines: int = 1,
    ) -> None:
        super().__init__()
        self._write = write
        self._fmt = fmt
        self._batch_lines = max(1, batch_lines)
        self._pending: list[str] = []

    def emit(self, notice: Notice) -> None:
        line = notice_line(notice, self._fmt)
        if self._batch_lines == 1:
            self._write(line)
        else:
            self._pending.append(line)
            if len(self._pending) >= self._batch_lines:
                self._flush()
        self.stats.delivered += 1

    def close(self) -> None:
        if self._pending:
            self._flush()

    def _flush(self) -> None:
        lines, self._pending = self._pending, []
        try:
            self._write("\n".join(lines))
        except Exception:  # noqa: BLE001 - retried line by line just below
            self._write_each(lines)

    def _write_each(self, lines: list[str]) -> None:
        """One line at a time, as without batching: a line that cannot be written (a lone
        surrogate, a closed pipe) fails alone and is counted, as the dispatcher would."""
        for line in lines:
            try:
                self._write(line)
            except Exception as err:  # noqa: BLE001 - counted, the next line still goes
                self.stats.delivered -= 1
                self.stats.fail(f"{self.name}: {err}")


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
