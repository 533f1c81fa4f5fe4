"""Poetry: ``poetry.lock`` (TOML ``[[package]]`` tables with name and version).

The lock does not say which packages ``pyproject.toml`` declares, so ``direct`` is
left unknown (an analyzer sees one file at a time).
"""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    make_package,
    pypi_name,
    toml_package_tables,
)

__all__ = ["PoetryLockAnalyzer", "parse_poetry_lock"]


def parse_poetry_lock(text: str, path: str) -> tuple[Package, ...]:
    packages = [
        make_package(pypi_name(str(e["name"])), str(e["version"]), "PyPI", path, line=line)
        for e, line in toml_package_tables(text, path)
    ]
    return dedupe(packages)


class PoetryLockAnalyzer(LockfileAnalyzer):
    name = "poetry-lock"
    file_names = frozenset({"poetry.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_poetry_lock(text, path)
