"""Rust: ``Cargo.lock`` (TOML ``[[package]]`` tables; local crates included, as cargo
audit does, since a path crate can still share a name with a published one).

Local crates (no ``source``) are the workspace being scanned: the crates their
``dependencies`` name are its direct dependencies, every other published crate is
transitive. A dependency is written ``name``, ``name version`` or
``name version (source)`` when the name alone is ambiguous; every package's
``dependencies`` are its edges in the dependency graph.
"""

from __future__ import annotations

from typing import Any

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    NameIndex,
    dedupe,
    make_package,
    toml_package_tables,
    with_edges,
)

__all__ = ["CargoLockAnalyzer", "parse_cargo_lock"]


def _declared_by_workspace(tables: list[tuple[dict[str, Any], int | None]]) -> set[str] | None:
    """``name`` and ``name version`` of every dependency of a local crate; None when the
    lock has no local crate (nothing tells direct from transitive)."""
    local = [entry for entry, _ in tables if "source" not in entry]
    if not local:
        return None
    declared: set[str] = set()
    for entry in local:
        for dependency in entry.get("dependencies", []):
            words = str(dependency).split()
            declared.add(" ".join(words[:2]))
    return declared


def _direct(entry: dict[str, Any], declared: set[str] | None) -> bool | None:
    if declared is None or "source" not in entry:
        return None
    name, version = str(entry["name"]), str(entry["version"])
    return name in declared or f"{name} {version}" in declared


def parse_cargo_lock(text: str, path: str) -> tuple[Package, ...]:
    tables = toml_package_tables(text, path)
    declared = _declared_by_workspace(tables)
    packages = [
        make_package(
            str(e["name"]),
            str(e["version"]),
            "crates.io",
            path,
            line=line,
            direct=_direct(e, declared),
        )
        for e, line in tables
    ]
    index = NameIndex(packages)
    edges = [
        (package.purl, child)
        for package, (entry, _) in zip(packages, tables, strict=True)
        if isinstance(entry.get("dependencies"), list)
        for dependency in entry["dependencies"]
        for child in _resolve(index, str(dependency))
    ]
    return dedupe(with_edges(packages, edges))


def _resolve(index: NameIndex, dependency: str) -> list[str]:
    """``name``, ``name version`` or ``name version (source)`` to purls."""
    words = dependency.split()
    if not words:
        return []
    return index.resolve(words[0], words[1] if len(words) > 1 else None)


class CargoLockAnalyzer(LockfileAnalyzer):
    name = "cargo-lock"
    file_names = frozenset({"Cargo.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_cargo_lock(text, path)
