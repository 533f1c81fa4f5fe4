"""``--follow``: read a growing file as ``tail -F`` does, as a byte stream of whole lines.

:class:`FollowStream` offers the ``readline(limit)`` the JSON-lines reader uses, and
blocks until a whole line is there. Steps of one ``readline``:

1. a complete line (ending in a newline) already buffered is returned at once;
2. a partial line longer than ``limit`` is returned cut at ``limit``, so the reader
   can drop it as oversized: memory stays bounded by ``limit`` plus one chunk;
3. otherwise read the next chunk; when there is none, check the path:
   a smaller size than the position read means the file was *truncated* (read again
   from its start); a different inode means it was *rotated*: the old file is read to
   its end first (an unfinished last line of it is handed out as it is, never glued to
   the new file's first line), then the new one from its start;
4. ``stop()`` (from a SIGINT/SIGTERM handler) ends the stream: the partial line
   still buffered is returned as the last line, so the reader accounts for it.

A partial last line is never handed out while the file may still grow: a writer
that appends a line in two ``write`` calls must not produce two broken events.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FollowConfig", "FollowStream"]


@dataclass(frozen=True, slots=True)
class FollowConfig:
    """Polling knobs: interval in seconds, chunk in bytes; ``from_start`` reads what exists."""

    poll_interval: float = 0.2
    chunk_bytes: int = 65_536
    from_start: bool = True


class FollowStream:
    """A never-ending (until :meth:`stop`) stream of the lines appended to ``path``."""

    def __init__(self, path: Path, config: FollowConfig | None = None) -> None:
        self.path = path
        self.config = config or FollowConfig()
        self.rotations = 0
        self.truncations = 0
        self._stopping = False
        self._buffer = bytearray()
        self._fd = -1
        self._inode: tuple[int, int] | None = None
        self._position = 0

    def stop(self) -> None:
        """End the stream at the next poll; safe from a signal handler (sets a flag only)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def read(self, size: int = -1) -> bytes:
        """Follow mode reads JSON lines only: there is no whole document to read."""
        return b""

    def readline(self, limit: int = -1) -> bytes:
        """The next whole line (see the module docstring's steps), or b"" after stop()."""
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0 and (limit < 0 or newline < limit):  # (1)
                return self._take(newline + 1)
            if limit >= 0 and len(self._buffer) >= limit:  # (2)
                return self._take(limit)
            if self._fill():  # (3)
                continue
            if self._stopping:  # (4)
                return self._take(len(self._buffer))
            time.sleep(self.config.poll_interval)

    def _take(self, count: int) -> bytes:
        line = bytes(self._buffer[:count])
        del self._buffer[:count]
        return line

    def _fill(self) -> bool:
        """Step (3): append the next chunk; False when nothing new is there yet."""
        if self._fd < 0 and not self._open(initial=self._inode is None):
            return False
        chunk = os.read(self._fd, self.config.chunk_bytes)
        if chunk:
            self._position += len(chunk)
            self._buffer += chunk
            return True
        return self._check_path()

    def _open(self, *, initial: bool) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        info = os.fstat(fd)
        self._fd, self._inode = fd, (info.st_dev, info.st_ino)
        self._position = 0
        if initial and not self.config.from_start:
            self._position = os.lseek(fd, 0, os.SEEK_END)
        return True

    def _check_path(self) -> bool:
        """At the end of the open file: truncated or rotated? True when there is more to read."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return False  # rotated away and not yet re-created: keep the old one open
        if (info.st_dev, info.st_ino) != self._inode:
            self.close()
            self.rotations += 1
            if self._buffer and not self._buffer.endswith(b"\n"):
                self._buffer += b"\n"  # the old file's unfinished last line ends with it
            return self._open(initial=False) or bool(self._buffer)
        if info.st_size < self._position:
            self.truncations += 1
            self._position = os.lseek(self._fd, 0, os.SEEK_SET)
            return True
        return False
