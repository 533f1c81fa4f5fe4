"""Operating-system inventory: the release (os-release) and the packages of dpkg,
apk and rpm (SQLite, NDB, Berkeley DB) databases, in the OSV ecosystem of that release.

Analyzers see one file at a time, yet a dpkg database does not say which Debian
release it belongs to. So the release is detected first, from the opened artifact
(:func:`detect_operating_system`), and the package analyzers are built for it
(:func:`system_analyzers`): each analyzer stays stateless during the scan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from secloop.core.errors import Error
from secloop.core.result import OperatingSystem
from secloop.scan.interface import Analyzer, FileContent, FileEntry
from secloop.scan.inventory.installed import installed_analyzers
from secloop.scan.inventory.os.apk import ApkAnalyzer
from secloop.scan.inventory.os.dpkg import DpkgAnalyzer
from secloop.scan.inventory.os.release import (
    RELEASE_FILES,
    OsReleaseAnalyzer,
    parse_release_file,
)
from secloop.scan.inventory.os.rpm import RpmAnalyzer

__all__ = ["SystemArtifact", "detect_operating_system", "os_analyzers", "system_analyzers"]


@runtime_checkable
class SystemArtifact(Protocol):
    """An artifact that can follow links inside itself (images, root filesystems)."""

    def resolve_path(self, path: str) -> str | None: ...

    def read(self, entry: FileEntry) -> bytes: ...


def detect_operating_system(artifact: SystemArtifact) -> OperatingSystem | None:
    """The release named by the first readable release file (os-release, then the
    fallbacks of :data:`RELEASE_FILES`), links followed inside the system."""
    for candidate, _ in RELEASE_FILES:
        path = artifact.resolve_path(candidate)
        if path is None:
            continue
        entry = FileEntry(path=path, size=0)
        try:
            content = FileContent(entry=entry, data=artifact.read(entry))
            # parsed by what the file is, not where a link led (os-release -> ../usr/lib)
            return parse_release_file(content.text, candidate)
        except Error:
            continue
    return None


def _reader_beside(system: SystemArtifact) -> Callable[[str], bytes | None]:
    """Reads another file of ``system`` by path, links followed inside it."""

    def read(path: str) -> bytes | None:
        where = system.resolve_path(path)
        return None if where is None else system.read(FileEntry(path=where, size=0))

    return read


def os_analyzers(
    os: OperatingSystem | None, system: SystemArtifact | None = None
) -> tuple[Analyzer, ...]:
    """Given the ``system`` scanned, analyzers can read the files a database keeps
    beside it (rpm's SQLite ``-wal``); without it each reads its own file alone."""
    beside = _reader_beside(system) if system is not None else None
    return (
        OsReleaseAnalyzer(os),
        DpkgAnalyzer(os),
        ApkAnalyzer(os),
        RpmAnalyzer(os, read_beside=beside),
    )


def system_analyzers(
    os: OperatingSystem | None, system: SystemArtifact | None = None
) -> tuple[Analyzer, ...]:
    """OS package and installed language package analyzers for a system of ``os``."""
    return (*os_analyzers(os, system), *installed_analyzers())
