"""Poetry: ``poetry.lock`` (TOML ``[[package]]`` tables with name and version)."""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    load_toml,
    make_package,
    pypi_name,
)

__all__ = ["PoetryLockAnalyzer", "parse_poetry_lock"]


def parse_poetry_lock(text: str, path: str) -> tuple[Package, ...]:
    document = load_toml(text, path)
    entries = document.get("package", [])
    if not isinstance(entries, list):
        raise ScanError(f"{path}: could not extract from file: 'package' is not an array")
    packages = [
        make_package(pypi_name(str(e["name"])), str(e["version"]), "PyPI", path)
        for e in entries
        if isinstance(e, dict) and "name" in e and "version" in e
    ]
    return dedupe(packages)


class PoetryLockAnalyzer(LockfileAnalyzer):
    name = "poetry-lock"
    file_names = frozenset({"poetry.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_poetry_lock(text, path)
