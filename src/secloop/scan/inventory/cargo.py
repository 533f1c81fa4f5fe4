"""Rust: ``Cargo.lock`` (TOML ``[[package]]`` tables; local crates included, as cargo
audit does, since a path crate can still share a name with a published one)."""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    make_package,
    toml_package_tables,
)

__all__ = ["CargoLockAnalyzer", "parse_cargo_lock"]


def parse_cargo_lock(text: str, path: str) -> tuple[Package, ...]:
    packages = [
        make_package(str(e["name"]), str(e["version"]), "crates.io", path)
        for e in toml_package_tables(text, path)
    ]
    return dedupe(packages)


class CargoLockAnalyzer(LockfileAnalyzer):
    name = "cargo-lock"
    file_names = frozenset({"Cargo.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_cargo_lock(text, path)
