"""Pub: Dart and Flutter's ``pubspec.lock`` (YAML).

``packages`` maps each package to its ``version`` and ``dependency``: ``direct main``,
``direct dev`` and ``direct overridden`` are declared in ``pubspec.yaml`` (direct, the
second also dev), ``transitive`` is not. Packages from git, a path or the SDK keep the
version the lock records (SDK packages carry the SDK's placeholder ``0.0.0``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_yaml,
    make_package,
)

__all__ = ["PubspecLockAnalyzer", "parse_pubspec_lock"]

ECOSYSTEM = "Pub"
_TOP_KEY = re.compile(r"^([^\s#][^:]*):")
_NESTED_KEY = re.compile(r"^(\s+)([^\s:#][^:]*):")


def _package_lines(text: str) -> dict[str, int]:
    """The line of each key directly under the top-level ``packages:``: the keys at
    the indent of the first one (``pub`` writes two spaces; hand edits vary)."""
    lines: dict[str, int] = {}
    inside, indent = False, ""
    for number, line in enumerate(text.splitlines(), start=1):
        if top := _TOP_KEY.match(line):
            inside, indent = top.group(1) == "packages", ""
        elif inside and (key := _NESTED_KEY.match(line)):
            indent = indent or key.group(1)
            if key.group(1) == indent:
                lines.setdefault(key.group(2).strip("\"'"), number)
    return lines


def _packages(entries: dict[str, Any], text: str, path: str) -> Iterator[Package]:
    lines = _package_lines(text)
    for name, entry in entries.items():
        details = expect_mapping(entry, path, f"package {name!r}")
        version = details.get("version")
        if version is None:
            raise ScanError(f"{path}: could not extract from file: package {name!r} has no version")
        dependency = str(details.get("dependency", ""))
        yield make_package(
            str(name),
            str(version),
            ECOSYSTEM,
            path,
            line=lines.get(str(name)),
            direct=dependency.startswith("direct"),
            dev=dependency == "direct dev",
        )


def parse_pubspec_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_yaml(text, path), path, "the document")
    entries = expect_mapping(document.get("packages"), path, "'packages'")
    return dedupe(_packages(entries, text, path))


class PubspecLockAnalyzer(LockfileAnalyzer):
    name = "pubspec-lock"
    file_names = frozenset({"pubspec.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pubspec_lock(text, path)
