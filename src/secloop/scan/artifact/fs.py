"""Directories and single files on the local filesystem.

The walk never follows a symbolic link: a link inside the tree is reported as
skipped (its destination is scanned where it lives), a link that leaves the tree or
dangles is reported with that reason. ``.gitignore`` files are honoured with git's
semantics (deeper files take precedence, the last matching pattern wins, ``!``
re-includes), and ignored directories are reported once, not file by file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from secloop.core.result import Skipped, SkipReason
from secloop.core.target import Target, TargetKind
from secloop.scan.interface import (
    Artifact,
    ArtifactError,
    FileEntry,
    Opener,
    ScanError,
    ScanLimits,
)

_GIT_METADATA = ".git"
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class _IgnoreFile:
    """One ``.gitignore`` and the directory (relative, ``""`` for the root) it governs."""

    base: str
    spec: pathspec.GitIgnoreSpec

    def decision(self, relpath: str, *, is_dir: bool) -> bool | None:
        local = relpath[len(self.base) + 1 :] if self.base else relpath
        result = self.spec.check_file(local + "/" if is_dir else local)
        return result.include


@dataclass(frozen=True, slots=True)
class FileLimit:
    """The size limit of one path: the walk's, or the larger one an analyzer claimed."""

    max_bytes: int
    claimed: bool = False

    def too_large(self, size: int) -> str:
        """The coverage detail of a file of ``size`` bytes past this limit."""
        if self.claimed:
            return f"{size} bytes, past the {self.max_bytes} byte limit of a package database"
        return f"{size} bytes, limit {self.max_bytes}"


def file_limit(
    limits: ScanLimits, limit_for: Callable[[str], int | None] | None, path: str
) -> FileLimit:
    """The limit of ``path``: what an analyzer claimed for it (never below the walk's
    limit, never above ``max_claimed_file_bytes``), else ``max_file_bytes``."""
    own = limit_for(path) if limit_for is not None else None
    if own is None or own <= limits.max_file_bytes:
        return FileLimit(limits.max_file_bytes)
    return FileLimit(min(own, limits.max_claimed_file_bytes), claimed=True)


def read_bounded(path: Path, limit: int, display: str) -> bytes:
    """Read at most ``limit`` bytes without following a symlink swapped in since the walk."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as err:
        raise ScanError(f"{display}: cannot read ({err.strerror or err})") from None
    with os.fdopen(fd, "rb") as handle:
        # Ask for what the file holds (plus one byte, to notice growth), not for the
        # limit: read(limit + 1) allocates a limit-sized buffer for every small file.
        expected = min(limit, os.fstat(handle.fileno()).st_size)
        data = handle.read(expected + 1)
        if len(data) > expected:  # grew since the stat: read on, up to the limit
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        raise ScanError(f"{display}: larger than the {limit} byte limit")
    return data


class DirectoryArtifact(Artifact):
    """A directory tree, walked safely within its root."""

    def __init__(
        self,
        root: Path,
        *,
        limits: ScanLimits,
        excludes: Sequence[str] = (),
        use_gitignore: bool = True,
        name: str | None = None,
    ) -> None:
        self._root = root.resolve()
        self._limits = limits
        self._excludes = pathspec.GitIgnoreSpec.from_lines(excludes)
        self._use_gitignore = use_gitignore
        self._target = Target(kind=TargetKind.DIRECTORY, name=name or str(root))
        self._files_seen = 0
        self._claimed: Callable[[str], int | None] | None = None

    @property
    def target(self) -> Target:
        return self._target

    def admit_claimed(self, limit_for: Callable[[str], int | None]) -> None:
        self._claimed = limit_for

    def read(self, entry: FileEntry) -> bytes:
        limit = file_limit(self._limits, self._claimed, entry.path)
        return read_bounded(self._root / entry.path, limit.max_bytes, entry.path)

    def walk(self) -> Iterator[FileEntry | Skipped]:
        # Each walk counts afresh: scanners that look at the tree again (rendering,
        # Pod Security) must meet the same file limit as the first pass, not half of it.
        self._files_seen = 0
        yield from self._walk_dir(self._root, "", [], depth=0)

    def _ignore_reason(
        self, relpath: str, *, is_dir: bool, ignores: list[_IgnoreFile]
    ) -> str | None:
        if self._excludes.match_file(relpath + "/" if is_dir else relpath):
            return "matches the exclude list"
        for ignore in reversed(ignores):  # the deepest .gitignore decides first
            decision = ignore.decision(relpath, is_dir=is_dir)
            if decision is not None:
                where = f"{ignore.base}/.gitignore" if ignore.base else ".gitignore"
                return f"matches {where}" if decision else None
        return None

    def _load_gitignore(self, directory: Path, relpath: str) -> _IgnoreFile | None:
        if not self._use_gitignore:
            return None
        path = directory / ".gitignore"
        if not path.is_file() or path.is_symlink():
            return None
        try:
            lines = read_bounded(path, self._limits.max_file_bytes, str(path)).decode(
                "utf-8", errors="replace"
            )
        except ScanError:
            return None
        return _IgnoreFile(relpath, pathspec.GitIgnoreSpec.from_lines(lines.splitlines()))

    def _walk_dir(
        self, directory: Path, relpath: str, ignores: list[_IgnoreFile], *, depth: int
    ) -> Iterator[FileEntry | Skipped]:
        if depth > self._limits.max_depth:
            yield Skipped(
                path=relpath,
                reason=SkipReason.LIMIT_REACHED,
                detail=f"deeper than {self._limits.max_depth} directories",
            )
            return
        own = self._load_gitignore(directory, relpath)
        scope = [*ignores, own] if own else ignores
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as err:
            yield Skipped(
                path=relpath or ".",
                reason=SkipReason.SPECIAL_FILE,
                detail=f"cannot list directory ({err.strerror or err})",
            )
            return
        for dir_entry in entries:
            child = f"{relpath}/{dir_entry.name}" if relpath else dir_entry.name
            yield from self._visit(dir_entry, child, scope, depth=depth)

    def _visit(
        self, dir_entry: os.DirEntry[str], relpath: str, ignores: list[_IgnoreFile], *, depth: int
    ) -> Iterator[FileEntry | Skipped]:
        if dir_entry.is_symlink():
            yield self._symlink_outcome(Path(dir_entry.path), relpath)
            return
        try:
            info = dir_entry.stat(follow_symlinks=False)
        except OSError as err:
            yield Skipped(
                path=relpath,
                reason=SkipReason.SPECIAL_FILE,
                detail=f"cannot stat ({err.strerror or err})",
            )
            return
        is_dir = stat.S_ISDIR(info.st_mode)
        if is_dir and dir_entry.name == _GIT_METADATA:
            yield Skipped(path=relpath, reason=SkipReason.IGNORED, detail="git metadata")
            return
        reason = self._ignore_reason(relpath, is_dir=is_dir, ignores=ignores)
        if reason is not None:
            yield Skipped(path=relpath, reason=SkipReason.IGNORED, detail=reason)
        elif is_dir:
            yield from self._walk_dir(Path(dir_entry.path), relpath, ignores, depth=depth + 1)
        elif not stat.S_ISREG(info.st_mode):
            yield Skipped(
                path=relpath,
                reason=SkipReason.SPECIAL_FILE,
                detail="not a regular file (device, socket or pipe)",
            )
        else:
            yield from self._file_outcome(relpath, info.st_size)

    def _file_outcome(self, relpath: str, size: int) -> Iterator[FileEntry | Skipped]:
        if size > self._limits.max_file_bytes:
            limit = file_limit(self._limits, self._claimed, relpath)
            if size > limit.max_bytes:
                yield Skipped(
                    path=relpath, reason=SkipReason.TOO_LARGE, detail=limit.too_large(size)
                )
                return
        self._files_seen += 1
        if self._files_seen > self._limits.max_files:
            yield Skipped(
                path=relpath,
                reason=SkipReason.LIMIT_REACHED,
                detail=f"more than {self._limits.max_files} files",
            )
            return
        yield FileEntry(path=relpath, size=size)

    def _symlink_outcome(self, link: Path, relpath: str) -> Skipped:
        destination = Path(os.path.realpath(link))
        if not destination.exists():
            return Skipped(
                path=relpath,
                reason=SkipReason.BROKEN_SYMLINK,
                detail=f"points to missing {link.readlink()}",
            )
        if not destination.is_relative_to(self._root):
            return Skipped(
                path=relpath,
                reason=SkipReason.SYMLINK_OUTSIDE,
                detail="points outside the target; not followed",
            )
        inside = destination.relative_to(self._root).as_posix() or "."
        return Skipped(
            path=relpath,
            reason=SkipReason.SYMLINK,
            detail=f"link to {inside}, scanned at that path",
        )


class SingleFileArtifact(Artifact):
    """One file named by the user; its path in findings is the name as given."""

    def __init__(self, path: Path, *, limits: ScanLimits) -> None:
        self._path = path
        self._limits = limits
        self._target = Target(kind=TargetKind.FILE, name=str(path))

    @property
    def target(self) -> Target:
        return self._target

    def read(self, entry: FileEntry) -> bytes:
        return read_bounded(self._path.resolve(), self._limits.max_file_bytes, entry.path)

    def walk(self) -> Iterator[FileEntry | Skipped]:
        size = self._path.stat().st_size
        name = self._path.name
        if size > self._limits.max_file_bytes:
            yield Skipped(
                path=name,
                reason=SkipReason.TOO_LARGE,
                detail=f"{size} bytes, limit {self._limits.max_file_bytes}",
            )
        else:
            yield FileEntry(path=name, size=size)


class FilesystemOpener(Opener):
    """Opens a local directory or regular file."""

    name = "filesystem"

    def can_open(self, spec: str) -> bool:
        return Path(spec).exists()

    def open(
        self, spec: str, *, limits: ScanLimits, excludes: Sequence[str], use_gitignore: bool
    ) -> Artifact:
        path = Path(spec)
        if path.is_dir():
            return DirectoryArtifact(
                path, limits=limits, excludes=excludes, use_gitignore=use_gitignore, name=spec
            )
        if path.is_file():
            return SingleFileArtifact(path, limits=limits)
        if not path.exists():
            raise ArtifactError(f"{spec}: no such file or directory")
        raise ArtifactError(f"{spec}: not a regular file or directory")
