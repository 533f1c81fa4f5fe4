"""PHP: ``composer.lock`` (JSON ``packages`` and ``packages-dev`` arrays)."""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
)

__all__ = ["ComposerLockAnalyzer", "parse_composer_lock"]


def parse_composer_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    packages: list[Package] = []
    for group in ("packages", "packages-dev"):
        entries = document.get(group)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ScanError(f"{path}: could not extract from file: {group!r} is not an array")
        packages += [
            make_package(str(e["name"]), str(e["version"]), "Packagist", path)
            for e in entries
            if isinstance(e, dict) and "name" in e and "version" in e
        ]
    return dedupe(packages)


class ComposerLockAnalyzer(LockfileAnalyzer):
    name = "composer-lock"
    file_names = frozenset({"composer.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_composer_lock(text, path)
