"""Named files inside a local image container: a directory or a tar archive.

Docker ``save`` archives and OCI layouts (directory or tar) name their parts by
relative paths taken from untrusted JSON (``manifest.json`` ``Layers``, blob digests).
Steps for every name, before anything is opened:

(1) reject empty names, NUL bytes, absolute paths and any ``..`` component;
(2) in a directory: the resolved path must stay inside the resolved root (a symlinked
    parent cannot lead out), and the file is opened with ``O_NOFOLLOW`` and must be a
    regular file;
(3) in a tar: only a regular-file member with exactly that name is used; nothing is
    extracted, links inside the archive are not followed.
"""

from __future__ import annotations

import os
import stat
import tarfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO, cast

from secloop.scan.artifact.image.interface import ImageError

__all__ = ["Container", "DirectoryContainer", "TarContainer", "open_container"]

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
_MAX_ARCHIVE_MEMBERS = 100_000


def check_name(name: str, what: str) -> str:
    """Step (1): a safe relative name with ``/`` separators and no ``./`` prefix."""
    cleaned = name.removeprefix("./")
    parts = cleaned.split("/")
    if not cleaned or "\0" in cleaned or cleaned.startswith("/") or ".." in parts:
        raise ImageError(f"{what}: unsafe path {name!r} in the image")
    return cleaned


class Container(ABC):
    """Read-only access to named regular files."""

    def __init__(self, display: str) -> None:
        self.display = display

    @abstractmethod
    def has(self, name: str) -> bool: ...

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """The file as a stream; ImageError when it is missing or not a regular file."""

    def read(self, name: str, limit: int) -> bytes:
        with self.open(name) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise ImageError(f"{self.display}: {name} is larger than {limit} bytes")
        return data

    def close(self) -> None:  # noqa: B027 - a directory holds nothing open
        """Release the archive handle."""


class DirectoryContainer(Container):
    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self._root = root.resolve()

    def _path(self, name: str) -> Path:
        safe = check_name(name, self.display)
        path = self._root / safe
        if not Path(os.path.realpath(path.parent)).is_relative_to(self._root):  # (2)
            raise ImageError(f"{self.display}: {name} leads outside the directory")
        return path

    def has(self, name: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self._path(name)).st_mode)
        except (OSError, ImageError):
            return False

    def open(self, name: str) -> BinaryIO:
        path = self._path(name)
        try:
            fd = os.open(path, _READ_FLAGS)
        except OSError as err:
            raise ImageError(f"{self.display}: cannot open {name} ({err.strerror})") from None
        handle = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            handle.close()
            raise ImageError(f"{self.display}: {name} is not a regular file")
        return handle


class TarContainer(Container):
    """A tar archive (plain, or gzip: slower, as every open decompresses from the start)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        try:
            self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed in close()
        except (tarfile.TarError, OSError) as err:
            raise ImageError(f"{path}: not a readable tar archive ({err})") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            self._index()
        except (tarfile.TarError, OSError, EOFError) as err:
            self._tar.close()
            raise ImageError(f"{path}: corrupt tar archive ({err})") from None

    def _index(self) -> None:
        while (member := self._tar.next()) is not None:
            if len(self._members) >= _MAX_ARCHIVE_MEMBERS:
                raise ImageError(f"{self.display}: more than {_MAX_ARCHIVE_MEMBERS} entries")
            if member.isreg():  # (3)
                self._members[member.name.removeprefix("./")] = member
        # tarfile keeps every TarInfo it reads; the index above is all that is needed.
        self._tar.members = []  # type: ignore[attr-defined]

    def has(self, name: str) -> bool:
        return name.removeprefix("./") in self._members

    def open(self, name: str) -> BinaryIO:
        member = self._members.get(check_name(name, self.display))
        if member is None:
            raise ImageError(f"{self.display}: no regular file {name} in the archive")
        handle = self._tar.extractfile(member)
        if handle is None:  # pragma: no cover - regular members always have data
            raise ImageError(f"{self.display}: cannot read {name}")
        return cast(BinaryIO, handle)

    def close(self) -> None:
        self._tar.close()


def open_container(path: Path) -> Container:
    if path.is_dir():
        return DirectoryContainer(path)
    return TarContainer(path)
