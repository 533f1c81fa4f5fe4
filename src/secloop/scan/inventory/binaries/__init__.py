"""Package analyzers for compiled artifacts: Go binaries (module build info), Rust
binaries built with cargo-auditable (``.dep-v0``) and Java archives (Maven metadata).
Binary analyzers: they read files that do not decode."""

from __future__ import annotations

from secloop.scan.interface import Analyzer
from secloop.scan.inventory.binaries.gobinary import GoBinaryAnalyzer
from secloop.scan.inventory.binaries.java import JavaArchiveAnalyzer
from secloop.scan.inventory.binaries.rustaudit import RustAuditableAnalyzer

__all__ = ["GoBinaryAnalyzer", "JavaArchiveAnalyzer", "RustAuditableAnalyzer", "binary_analyzers"]


def binary_analyzers() -> tuple[Analyzer, ...]:
    return (GoBinaryAnalyzer(), RustAuditableAnalyzer(), JavaArchiveAnalyzer())
