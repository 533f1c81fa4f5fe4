"""PEP 751 lock files: ``pylock.toml`` and ``pylock.<name>.toml``.

Every ``[[packages]]`` table names a package and, when it comes from an index or a
pinned artifact, its ``version``. A package installed from a local ``directory`` is a
source tree of the project itself, with no published version, and is left out; one
from ``vcs`` or an ``archive`` without a recorded version is kept with an empty
version (inventory with nothing to match), as git dependencies are elsewhere. The file
is refused when its ``lock-version`` has a major version other than 1, as the PEP
requires of readers. The lock records no direct/transitive split.
"""

from __future__ import annotations

import re
from typing import Any

from secloop.core.package import Package
from secloop.scan.interface import FileEntry, ScanError
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    load_toml,
    make_package,
    pypi_name,
    table_header_lines,
)

__all__ = ["PylockAnalyzer", "parse_pylock"]

_FILE_NAME = re.compile(r"^pylock\.(?:[^.]+\.)?toml$")


def _check_lock_version(document: dict[str, Any], path: str) -> None:
    version = document.get("lock-version")
    if not isinstance(version, str) or version.split(".", 1)[0] != "1":
        raise ScanError(
            f"{path}: could not extract from file: unsupported lock-version {version!r} "
            "(PEP 751 lock-version 1.x expected)"
        )


def _entries(document: dict[str, Any], text: str, path: str) -> list[tuple[Any, int | None]]:
    entries = document.get("packages", [])
    if not isinstance(entries, list):
        raise ScanError(f"{path}: could not extract from file: 'packages' is not an array")
    headers = table_header_lines(text, "[[packages]]")
    lines: list[int | None] = (
        list(headers) if len(headers) == len(entries) else [None] * len(entries)
    )
    return list(zip(entries, lines, strict=True))


def parse_pylock(text: str, path: str) -> tuple[Package, ...]:
    document = load_toml(text, path)
    _check_lock_version(document, path)
    packages = []
    for entry, line in _entries(document, text, path):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ScanError(f"{path}: could not extract from file: a package has no name")
        if "directory" in entry:
            continue
        version = str(entry.get("version", ""))
        packages.append(make_package(pypi_name(entry["name"]), version, "PyPI", path, line=line))
    return dedupe(packages)


class PylockAnalyzer(LockfileAnalyzer):
    name = "pylock"

    def applies_to(self, entry: FileEntry) -> bool:
        return bool(_FILE_NAME.match(entry.name))

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pylock(text, path)
