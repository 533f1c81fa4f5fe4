"""CRAN: R's ``renv.lock`` (JSON).

``Packages`` maps each package to its ``Version`` and where it came from. Only
packages installed from the ``CRAN`` repository are CRAN releases: one built from
GitHub, Bioconductor or a local source is not the CRAN package of that name, so CRAN
advisories do not apply to it and it is not reported. The lock does not tell direct
from transitive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    JsonKeyLines,
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
)

__all__ = ["RenvLockAnalyzer", "parse_renv_lock"]

ECOSYSTEM = "CRAN"


def _packages(entries: dict[str, Any], lines: JsonKeyLines, path: str) -> Iterator[Package]:
    lines.find("Packages")
    for key, entry in entries.items():
        line = lines.find(key)
        if not isinstance(entry, dict) or entry.get("Repository") != "CRAN":
            continue
        name, version = entry.get("Package", key), entry.get("Version")
        if not isinstance(name, str) or not isinstance(version, str) or not version:
            raise ScanError(f"{path}: could not extract from file: {key!r} has no version")
        yield make_package(name, version, ECOSYSTEM, path, line=line)


def parse_renv_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    entries = expect_mapping(document.get("Packages"), path, "'Packages'")
    return dedupe(_packages(entries, JsonKeyLines(text), path))


class RenvLockAnalyzer(LockfileAnalyzer):
    name = "renv-lock"
    file_names = frozenset({"renv.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_renv_lock(text, path)
