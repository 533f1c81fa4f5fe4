"""An unpacked root filesystem (a VM image mount, a debootstrap tree, ``/``).

The directory artifact, with two differences that make it a system rather than a
source tree: ``.gitignore`` files mean nothing there, and symbolic links are resolved
as the system itself would see them, with the root as ``/``. Steps (resolve_in_root):

(1) an absolute link target restarts at the root being scanned, never at the host's
    ``/`` (``etc/os-release -> /usr/lib/os-release`` stays inside the tree);
(2) ``..`` at the root stays at the root, so no link leads out;
(3) each component is examined with ``lstat`` under the already-resolved prefix, so a
    symlinked directory is itself resolved by these rules before it is entered;
(4) more than 40 links (Linux's MAXSYMLINKS) is a loop.

Nothing is read through a link: the walk reports it and where it leads, and its
destination is scanned at its own path. The kernel's virtual trees (``proc``,
``sys``, ``dev``) are excluded at the top of the root.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secloop.core.result import Skipped, SkipReason
from secloop.core.target import Target, TargetKind
from secloop.scan.artifact.fs import DirectoryArtifact
from secloop.scan.interface import Artifact, ArtifactError, Opener, ScanLimits

__all__ = ["RootfsArtifact", "RootfsOpener", "resolve_in_root"]

VIRTUAL_TREES = ("/proc/", "/sys/", "/dev/")
_MAX_HOPS = 40


@dataclass(frozen=True, slots=True)
class RootPath:
    """Where a path leads inside the root: ``path`` (relative), or why nowhere."""

    path: str
    problem: str = ""


def resolve_in_root(root: Path, path: str, *, max_hops: int = _MAX_HOPS) -> RootPath:
    pending = deque(path.split("/"))
    names: list[str] = []
    hops = 0
    while pending:
        name = pending.popleft()
        if name in ("", "."):
            continue
        if name == "..":
            if names:  # (2)
                names.pop()
            continue
        try:
            info = os.lstat(root.joinpath(*names, name))  # (3)
        except OSError:
            return RootPath("/".join([*names, name]), problem="missing")
        if stat.S_ISLNK(info.st_mode):
            hops += 1
            if hops > max_hops:  # (4)
                return RootPath(path, problem="too many levels of links")
            target = str(root.joinpath(*names, name).readlink())
            if target.startswith("/"):  # (1)
                names = []
            pending.extendleft(reversed(target.split("/")))
            continue
        if pending and not stat.S_ISDIR(info.st_mode):
            return RootPath("/".join([*names, name]), problem="missing")
        names.append(name)
    return RootPath("/".join(names))


class RootfsArtifact(DirectoryArtifact):
    def __init__(
        self, root: Path, *, limits: ScanLimits, excludes: Sequence[str] = (), name: str
    ) -> None:
        super().__init__(
            root, limits=limits, excludes=(*VIRTUAL_TREES, *excludes), use_gitignore=False
        )
        self._rootfs_target = Target(kind=TargetKind.ROOTFS, name=name)

    @property
    def target(self) -> Target:
        return self._rootfs_target

    def resolve_path(self, path: str) -> str | None:
        """``path`` with links followed inside the root; None unless a regular file."""
        where = resolve_in_root(self._root, path)
        if where.problem or not (self._root / where.path).is_file():
            return None
        return where.path

    def _symlink_outcome(self, link: Path, relpath: str) -> Skipped:
        where = resolve_in_root(self._root, relpath)
        if where.problem:
            return Skipped(
                path=relpath,
                reason=SkipReason.BROKEN_SYMLINK,
                detail=f"points to {link.readlink()}: {where.problem}",
            )
        return Skipped(
            path=relpath,
            reason=SkipReason.SYMLINK,
            detail=f"link to {where.path or '.'} inside the root, scanned at that path",
        )


class RootfsOpener(Opener):
    name = "rootfs"

    def can_open(self, spec: str) -> bool:
        return Path(spec).is_dir()

    def open(
        self, spec: str, *, limits: ScanLimits, excludes: Sequence[str], use_gitignore: bool
    ) -> Artifact:
        path = Path(spec)
        if not path.is_dir():
            raise ArtifactError(f"{spec}: not a directory")
        return RootfsArtifact(path, limits=limits, excludes=excludes, name=spec)
