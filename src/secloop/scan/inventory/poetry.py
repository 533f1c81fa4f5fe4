"""Poetry: ``poetry.lock`` (TOML ``[[package]]`` tables with name and version).

The lock does not say which packages ``pyproject.toml`` declares, so ``direct`` is
left unknown (an analyzer sees one file at a time). Each table's
``[package.dependencies]`` names what the package requires (with a version constraint
the lock has already resolved): those names become the dependency graph.
"""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    NameIndex,
    dedupe,
    make_package,
    pypi_name,
    toml_package_tables,
    with_edges,
)

__all__ = ["PoetryLockAnalyzer", "parse_poetry_lock"]


def parse_poetry_lock(text: str, path: str) -> tuple[Package, ...]:
    tables = toml_package_tables(text, path)
    packages = [
        make_package(pypi_name(str(e["name"])), str(e["version"]), "PyPI", path, line=line)
        for e, line in tables
    ]
    index = NameIndex(packages)
    edges = [
        (package.purl, child)
        for package, (entry, _) in zip(packages, tables, strict=True)
        if isinstance(requires := entry.get("dependencies"), dict)
        for name in requires
        for child in index.resolve(pypi_name(str(name)))
    ]
    return dedupe(with_edges(packages, edges))


class PoetryLockAnalyzer(LockfileAnalyzer):
    name = "poetry-lock"
    file_names = frozenset({"poetry.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_poetry_lock(text, path)
