"""PHP: ``composer.lock`` (JSON ``packages`` and ``packages-dev`` arrays).

Each entry's ``license`` array lists licences to choose from (Composer's schema: more
than one means the package is dual-licensed), so it becomes an ``OR`` expression.
``packages-dev`` entries are marked dev; which packages ``composer.json`` declares is not
in the lock, so ``direct`` stays unknown. Each entry's ``require`` map names the
packages it needs (platform requirements such as ``php`` or ``ext-json`` are no
locked package): the edges of the dependency graph.
"""

from __future__ import annotations

import json
import re
from typing import Any

from secloop.core.license import normalize_license
from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    NameIndex,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
    with_edges,
)

__all__ = ["ComposerLockAnalyzer", "parse_composer_lock"]

_NAME_LINE = re.compile(r'^\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")')


def _composer_license(entry: dict[str, Any]) -> str | None:
    declared = entry.get("license")
    if isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list) or not declared:
        return None
    names = [str(n) for n in declared]
    joined = names[0] if len(names) == 1 else " OR ".join(f"({n})" for n in names)
    return normalize_license(joined)


class _NameLines:
    """Lines of ``"name": "..."`` members, searched forward in document order."""

    def __init__(self, text: str) -> None:
        self._names = [
            (str(json.loads(m.group(1))), number)  # a whole string token of valid JSON
            for number, line in enumerate(text.splitlines(), start=1)
            if (m := _NAME_LINE.match(line))
        ]
        self._cursor = 0

    def find(self, name: str) -> int | None:
        for index in range(self._cursor, len(self._names)):
            if self._names[index][0] == name:
                self._cursor = index + 1
                return self._names[index][1]
        return None


def parse_composer_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    packages: list[Package] = []
    requires: list[object] = []
    lines = _NameLines(text)
    for group in [g for g in document if g in ("packages", "packages-dev")]:  # file order
        entries = document[group]
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ScanError(f"{path}: could not extract from file: {group!r} is not an array")
        packages += [
            make_package(
                str(e["name"]),
                str(e["version"]),
                "Packagist",
                path,
                line=lines.find(str(e["name"])),
                license=_composer_license(e),
                dev=group == "packages-dev",
            )
            for e in entries
            if isinstance(e, dict) and "name" in e and "version" in e
        ]
        requires += [
            e.get("require")
            for e in entries
            if isinstance(e, dict) and "name" in e and "version" in e
        ]
    index = NameIndex(packages)
    edges = [
        (package.purl, child)
        for package, required in zip(packages, requires, strict=True)
        if isinstance(required, dict)
        for name in required
        for child in index.resolve(str(name).lower())
    ]
    return dedupe(with_edges(packages, edges))


class ComposerLockAnalyzer(LockfileAnalyzer):
    name = "composer-lock"
    file_names = frozenset({"composer.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_composer_lock(text, path)
