"""uv: ``uv.lock`` (TOML ``[[package]]`` tables).

The project itself and workspace members appear as packages whose source is
``editable``, ``virtual`` or a ``directory``: they are the code being scanned, not
dependencies with published versions, and are left out. What they depend on
(``dependencies``, ``optional-dependencies``, ``dev-dependencies``) is direct; every
other package is transitive. A direct dependency that only development groups declare
is marked dev. A package's ``dependencies`` and ``optional-dependencies`` (entries with
a ``name`` and, when the lock holds several versions, a ``version``) are its edges in
the dependency graph.
"""

from __future__ import annotations

from typing import Any

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

__all__ = ["UvLockAnalyzer", "parse_uv_lock"]

_LOCAL_SOURCES = frozenset({"editable", "virtual", "directory", "path"})


def _is_local(entry: dict[str, Any]) -> bool:
    source = entry.get("source")
    return isinstance(source, dict) and bool(_LOCAL_SOURCES & source.keys())


def _names(groups: object) -> set[str]:
    """Package names in a ``dependencies`` array or a map of such arrays."""
    arrays = groups.values() if isinstance(groups, dict) else [groups]
    return {
        pypi_name(str(d["name"]))
        for array in arrays
        if isinstance(array, list)
        for d in array
        if isinstance(d, dict) and "name" in d
    }


def _requirements(entry: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(name, version or None) of each entry of ``dependencies`` and of every array of
    ``optional-dependencies``."""
    optional = entry.get("optional-dependencies")
    arrays = [entry.get("dependencies"), *(optional.values() if isinstance(optional, dict) else ())]
    return [
        (pypi_name(str(d["name"])), str(d["version"]) if "version" in d else None)
        for array in arrays
        if isinstance(array, list)
        for d in array
        if isinstance(d, dict) and "name" in d
    ]


def _declared(local: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(every name a project member depends on, the names only its dev groups name)."""
    runtime: set[str] = set()
    dev: set[str] = set()
    for entry in local:
        runtime |= _names(entry.get("dependencies")) | _names(entry.get("optional-dependencies"))
        dev |= _names(entry.get("dev-dependencies"))
    return runtime | dev, dev - runtime


def parse_uv_lock(text: str, path: str) -> tuple[Package, ...]:
    tables = toml_package_tables(text, path)
    local = [e for e, _ in tables if _is_local(e)]
    declared, dev_only = _declared(local)
    packages = []
    published = []
    for entry, line in tables:
        if _is_local(entry):
            continue
        name = pypi_name(str(entry["name"]))
        published.append(entry)
        packages.append(
            make_package(
                name,
                str(entry["version"]),
                "PyPI",
                path,
                line=line,
                direct=(name in declared) if local else None,
                dev=name in dev_only,
            )
        )
    index = NameIndex(packages)
    edges = [
        (package.purl, child)
        for package, entry in zip(packages, published, strict=True)
        for name, version in _requirements(entry)
        for child in index.resolve(name, version)
    ]
    return dedupe(with_edges(packages, edges))


class UvLockAnalyzer(LockfileAnalyzer):
    name = "uv-lock"
    file_names = frozenset({"uv.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_uv_lock(text, path)
