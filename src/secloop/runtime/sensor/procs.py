"""What the kernel record lacks: the process tree, user names and container ids.

Falco rules read ``proc.pname``, ``proc.aname[N]``, ``proc.cmdline`` and
``container.id``; a syscall record carries only pid, ppid, uid and cgroup id. The
:class:`ProcessTable` fills the gap from exec records (exact, captured in the
kernel) and, for processes that started before the sensor, from ``/proc`` (best
effort: a process that has already exited reads as unknown). Everything is
bounded: the table is an LRU of ``max_entries`` processes.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

__all__ = [
    "HOST",
    "CgroupPaths",
    "ProcInfo",
    "ProcessTable",
    "UserNames",
    "WatchedTable",
    "cgroup2_root",
    "container_id_from_cgroup",
]

HOST = "host"
_CONTAINER_ID = re.compile(
    r"(?:docker-|cri-containerd-|crio-|containerd-|libpod-|/docker/|/crio/|/kubepods[^\n]*/)"
    r"([0-9a-f]{64})"
)
_MAX_ANCESTORS = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcInfo:
    """One process as rules see it; ``args`` excludes argv[0], as Falco's ``proc.args``."""

    pid: int
    ppid: int
    name: str
    exe: str = ""
    exepath: str = ""
    args: tuple[str, ...] = ()
    cwd: str = ""
    tty: int = 0
    loginuid: int = -1
    container_id: str = HOST
    exe_upper_layer: bool | None = None  # None: not seen executing (read from /proc)
    exe_from_memfd: bool = False  # the kernel said the executable is a memfd_create() file

    @property
    def cmdline(self) -> str:
        return " ".join((self.name, *self.args))


def container_id_from_cgroup(text: str) -> str:
    """The 12-character container id in a ``/proc/<pid>/cgroup`` text, or ``host``.

    Docker (``/docker/<id>``, ``docker-<id>.scope``), containerd
    (``cri-containerd-<id>.scope``), CRI-O (``crio-<id>.scope``), podman (``libpod-``)
    and kubepods paths end in the 64-hex container id; Falco prints its first 12.
    """
    found = _CONTAINER_ID.search(text)
    return found.group(1)[:12] if found else HOST


K = TypeVar("K")  # a WatchedTable key: uid, address


class WatchedTable(Generic[K]):
    """A table parsed from a small system file (``/etc/passwd``, ``/etc/hosts``), read
    again when its modification time changes; looked at once per ``check_interval``
    seconds, since a stat per event would cost ~10 % of decoding. A file that cannot be
    read keeps the last table (empty before the first read)."""

    def __init__(
        self, path: Path, parse: Callable[[list[str]], dict[K, str]], check_interval: float
    ) -> None:
        self.path = path
        self.check_interval = check_interval
        self._parse = parse
        self._stamp: float | None = None
        self._checked = -check_interval
        self._table: dict[K, str] = {}

    def table(self) -> dict[K, str]:
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            self._refresh()
        return self._table

    def _refresh(self) -> None:
        try:
            stamp = self.path.stat().st_mtime
            if stamp == self._stamp:
                return
            lines = self.path.read_text(errors="replace").splitlines()[:100_000]
        except OSError:
            return
        self._stamp = stamp
        self._table = self._parse(lines)


class UserNames:
    """uid -> name from an ``/etc/passwd``-format file, re-read when it changes."""

    def __init__(self, path: Path = Path("/etc/passwd"), check_interval: float = 1.0) -> None:
        self._file = WatchedTable(path, _passwd_names, check_interval)

    def name(self, uid: int) -> str:
        return self._file.table().get(uid, str(uid) if uid >= 0 else "<NA>")


def _passwd_names(lines: list[str]) -> dict[int, str]:
    names: dict[int, str] = {}
    for line in lines:
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].isdigit():
            names.setdefault(int(parts[2]), parts[0])
    return names


def cgroup2_root(mounts: Path = Path("/proc/self/mounts")) -> Path | None:
    """Where the cgroup v2 hierarchy is mounted (``/sys/fs/cgroup`` or, hybrid, ``.../unified``)."""
    try:
        text = mounts.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[2] == "cgroup2":
            return Path(parts[1])
    return None


class CgroupPaths:
    """Kernel cgroup id -> cgroup v2 path, read from the cgroup filesystem.

    The id bpftrace reports is the inode number of the cgroup's directory, so the path
    (which names the container) is known even after the process exited; /proc/<pid>
    of a short-lived process is often gone before its record is decoded. The index is
    rebuilt on a miss, at most once per ``min_interval`` seconds and over at most
    ``max_dirs`` directories.
    """

    def __init__(
        self, root: Path | None, *, min_interval: float = 0.5, max_dirs: int = 100_000
    ) -> None:
        self.root = root
        self.min_interval = min_interval
        self.max_dirs = max_dirs
        self._paths: dict[int, str] = {}
        self._built = -min_interval

    def path(self, cgroup: int) -> str | None:
        """The path of ``cgroup`` relative to the root (``/docker-<id>.scope``), or None."""
        found = self._paths.get(cgroup)
        if found is None and self.root is not None:
            now = time.monotonic()
            if now - self._built >= self.min_interval:
                self._built = now
                self._paths = self._index(self.root)
                found = self._paths.get(cgroup)
        return found

    def _index(self, root: Path) -> dict[int, str]:
        paths: dict[int, str] = {}
        for directory, _, _ in os.walk(root):
            relative = Path(directory).relative_to(root).as_posix()
            try:
                paths[Path(directory).stat().st_ino] = "/" + relative.removeprefix(".")
            except OSError:
                continue  # removed while walking
            if len(paths) >= self.max_dirs:
                break
        return paths


class ProcessTable:
    """pid -> :class:`ProcInfo`, fed by exec records and, failing that, by ``/proc``."""

    def __init__(
        self,
        proc_root: Path = Path("/proc"),
        max_entries: int = 32_768,
        cgroups: CgroupPaths | None = None,
    ) -> None:
        self.proc_root = proc_root
        self._root = str(proc_root)  # /proc paths as text: a Path per read costs 10 % of decode
        self.max_entries = max_entries
        self.cgroups = cgroups or CgroupPaths(None)
        self._procs: OrderedDict[int, ProcInfo] = OrderedDict()
        self._cgroups: dict[int, str] = {}

    def exec(self, info: ProcInfo, cgroup: int) -> ProcInfo:
        """Record a successful exec; cwd and container come from /proc when still readable."""
        cwd = self.readlink(info.pid, "cwd")
        info = replace(info, cwd=cwd, container_id=self.container(info.pid, cgroup))
        self._put(info)
        return info

    def get(self, pid: int, cgroup: int = 0) -> ProcInfo | None:
        """The process ``pid``: from the table, else read from /proc, else None."""
        found = self._procs.get(pid)
        if found is not None:
            self._procs.move_to_end(pid)
            return found
        read = self._from_proc(pid, cgroup)
        if read is not None:
            self._put(read)
        return read

    def ancestors(self, info: ProcInfo) -> list[ProcInfo]:
        """Parent, grandparent, ... up to pid 1 (bounded, loop-safe)."""
        chain: list[ProcInfo] = []
        seen = {info.pid}
        ppid = info.ppid
        while ppid > 0 and ppid not in seen and len(chain) < _MAX_ANCESTORS:
            parent = self.get(ppid)
            if parent is None:
                break
            chain.append(parent)
            seen.add(ppid)
            ppid = parent.ppid
        return chain

    def container(self, pid: int, cgroup: int) -> str:
        """The container of ``pid``, cached per kernel cgroup id (1 is the root: host)."""
        if cgroup == 1:
            return HOST
        cached = self._cgroups.get(cgroup) if cgroup else None
        if cached is not None:
            return cached
        path = self.cgroups.path(cgroup) if cgroup else None
        text = f"0::{path}" if path is not None else self._read(pid, "cgroup")
        if text is None:
            return HOST
        found = container_id_from_cgroup(text)
        if cgroup and len(self._cgroups) < self.max_entries:
            self._cgroups[cgroup] = found
        return found

    def _put(self, info: ProcInfo) -> None:
        self._procs[info.pid] = info
        self._procs.move_to_end(info.pid)
        while len(self._procs) > self.max_entries:
            self._procs.popitem(last=False)

    def _from_proc(self, pid: int, cgroup: int) -> ProcInfo | None:
        stat = self._read(pid, "stat")
        if stat is None or ")" not in stat:
            return None
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        rest = stat[stat.rfind(")") + 2 :].split()
        argv = (self._read(pid, "cmdline") or "").split("\0")
        argv = [a for a in argv if a] or [name]
        return ProcInfo(
            pid=pid,
            ppid=int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else 0,
            name=name,
            exe=argv[0],
            exepath=self.readlink(pid, "exe"),
            args=tuple(argv[1:]),
            cwd=self.readlink(pid, "cwd"),
            tty=int(rest[4]) if len(rest) > 4 and rest[4].lstrip("-").isdigit() else 0,
            container_id=self.container(pid, cgroup),
        )

    def _read(self, pid: int, name: str) -> str | None:
        try:
            with open(f"{self._root}/{pid}/{name}", "rb") as stream:  # noqa: PTH123 - see _root
                return stream.read(65_536).decode("utf-8", errors="replace")
        except OSError:
            return None

    def readlink(self, pid: int, name: str) -> str:
        """The target of /proc/<pid>/<name> (exe, cwd, fd/N), or "" when gone or denied."""
        try:
            return os.readlink(f"{self._root}/{pid}/{name}")  # noqa: PTH115 - see _root
        except OSError:
            return ""
