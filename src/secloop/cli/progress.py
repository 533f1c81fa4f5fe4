"""A progress display on a terminal for long scans; nothing when output is piped."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from secloop.scan.engine import ProgressSink

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# Below this many seconds the display never appears, so short scans print nothing extra.
_SHOW_AFTER_SECONDS = 0.5


class _RichProgress:
    """A transient spinner with a file count on standard error."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task
        self._started = time.monotonic()
        self._shown = False

    def file_started(self, path: str) -> None:
        if not self._shown and time.monotonic() - self._started >= _SHOW_AFTER_SECONDS:
            self._progress.start()
            self._shown = True
        self._progress.update(self._task, advance=1, description=f"scanning {path[-60:]}")

    def stop(self) -> None:
        if self._shown:
            self._progress.stop()


@contextmanager
def terminal_progress(*, enabled: bool) -> Iterator[ProgressSink | None]:
    """Yield a progress sink when standard error is a terminal, else None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    progress = Progress(
        SpinnerColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=True,
    )
    sink = _RichProgress(progress, progress.add_task("scanning", total=None))
    try:
        yield sink
    finally:
        sink.stop()
