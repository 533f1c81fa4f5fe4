"""Rust: ``Cargo.lock`` (TOML ``[[package]]`` tables; local crates included, as cargo
audit does, since a path crate can still share a name with a published one)."""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, load_toml, make_package

__all__ = ["CargoLockAnalyzer", "parse_cargo_lock"]


def parse_cargo_lock(text: str, path: str) -> tuple[Package, ...]:
    document = load_toml(text, path)
    entries = document.get("package", [])
    if not isinstance(entries, list):
        raise ScanError(f"{path}: could not extract from file: 'package' is not an array")
    packages = [
        make_package(str(e["name"]), str(e["version"]), "crates.io", path)
        for e in entries
        if isinstance(e, dict) and "name" in e and "version" in e
    ]
    return dedupe(packages)


class CargoLockAnalyzer(LockfileAnalyzer):
    name = "cargo-lock"
    file_names = frozenset({"Cargo.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_cargo_lock(text, path)
