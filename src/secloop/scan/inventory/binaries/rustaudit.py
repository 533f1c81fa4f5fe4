"""Rust executables built with ``cargo auditable``: the dependency tree it embeds.

cargo-auditable (github.com/rust-secure-code/cargo-auditable) links a section
``.dep-v0`` into the executable: zlib-compressed (RFC 1950) JSON of the schema
https://rustsec.org/schemas/cargo-auditable.json::

    {"packages": [{"name": "serde", "version": "1.0.200", "source": "crates.io",
                   "kind": "build", "dependencies": [3, 7], "root": true}, ...]}

``source`` is ``crates.io``, ``git``, ``local``, ``registry`` or another string;
``kind`` ``runtime`` (the default) or ``build``; ``dependencies`` are indexes into
``packages``; ``root`` marks the crate of the executable itself.

Every package becomes a ``crates.io`` package, as ``cargo audit bin`` reports them
(a git or path crate can still share a name with a published one); the crates the
root depends on are direct.

Steps of :func:`parse_rust_audit_data` (the file is untrusted):
(1) an ELF file with a ``.dep-v0`` section inside it, else no packages (most files);
(2) the section inflated with a cap on the output (a zlib bomb stops at the cap) and
    the stream required to end inside the section;
(3) the JSON checked against the schema: name, version and source strings, indexes
    inside the list; a package breaking it fails the file with its position named.
"""

from __future__ import annotations

import json
import zlib
from typing import cast

from secloop.core.package import Package
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError
from secloop.scan.inventory._common import make_package
from secloop.scan.inventory.binaries.elf import ELF_MAGIC, elf_section, may_be_executable

__all__ = ["SECTION", "RustAuditableAnalyzer", "parse_rust_audit_data"]

SECTION = b".dep-v0"
_ECOSYSTEM = "crates.io"
#: cargo-auditable's own reader refuses more than 8 MiB of JSON; real trees are ~100 KiB.
_MAX_JSON_BYTES = 8 * 1024 * 1024
_MIN_BINARY_BYTES = 64


def _inflate(compressed: bytes, path: str) -> bytes:
    """Step (2)."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, _MAX_JSON_BYTES + 1)
    except zlib.error as err:
        raise ScanError(f"{path}: .dep-v0 section is not zlib data ({err})") from None
    if len(data) > _MAX_JSON_BYTES:
        raise ScanError(f"{path}: .dep-v0 inflates to more than {_MAX_JSON_BYTES} bytes")
    if not inflater.eof:
        raise ScanError(f"{path}: .dep-v0 section is truncated")
    return data


def _packages_list(document: object, path: str) -> list[dict[str, object]]:
    packages = document.get("packages") if isinstance(document, dict) else None
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise ScanError(f"{path}: .dep-v0 JSON has no list of package objects")
    return packages


def _checked(entry: dict[str, object], position: int, count: int, path: str) -> None:
    """Step (3) for one package."""
    fields = ("name", "version", "source")
    if not all(isinstance(entry.get(key), str) and entry.get(key) for key in fields):
        raise ScanError(f"{path}: .dep-v0 package {position} lacks a name, version or source")
    dependencies = entry.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(
        isinstance(d, int) and 0 <= d < count for d in dependencies
    ):
        raise ScanError(f"{path}: .dep-v0 package {position} has dependencies outside the list")


def _direct(packages: list[dict[str, object]]) -> set[int] | None:
    """Indexes the root crate depends on; None without a root (nothing tells)."""
    roots = [p for p in packages if p.get("root") is True]
    if not roots:
        return None
    # _checked made every "dependencies" a list of indexes
    return {d for root in roots for d in cast("list[int]", root.get("dependencies", []))}


def parse_rust_audit_data(data: bytes, path: str) -> list[Package]:
    """The crates of a cargo-auditable executable; empty for any other file."""
    if not data.startswith(ELF_MAGIC):  # (1)
        return []
    section = elf_section(data, SECTION)
    if section is None:
        return []
    offset, size = section
    try:
        document = json.loads(_inflate(data[offset : offset + size], path))
    except ValueError as err:
        raise ScanError(f"{path}: .dep-v0 section is not JSON ({err})") from None
    packages = _packages_list(document, path)
    for position, entry in enumerate(packages):
        _checked(entry, position, len(packages), path)
    direct = _direct(packages)
    return [
        make_package(
            str(entry["name"]),
            str(entry["version"]),
            _ECOSYSTEM,
            path,
            direct=None if direct is None or entry.get("root") is True else position in direct,
        )
        for position, entry in enumerate(packages)
    ]


class RustAuditableAnalyzer(Analyzer):
    """The same files as the Go analyzer: executables, found by their place or name."""

    name = "rust-auditable"
    text_only = False

    def applies_to(self, entry: FileEntry) -> bool:
        return may_be_executable(entry, _MIN_BINARY_BYTES)

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        packages = parse_rust_audit_data(content.data, content.entry.path)
        return AnalyzerOutput(packages=tuple(packages))
