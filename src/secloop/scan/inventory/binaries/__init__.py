"""Package analyzers for compiled artifacts: Go binaries (module build info) and Java
archives (Maven metadata). Binary analyzers: they read files that do not decode."""

from __future__ import annotations

from secloop.scan.interface import Analyzer
from secloop.scan.inventory.binaries.gobinary import GoBinaryAnalyzer
from secloop.scan.inventory.binaries.java import JavaArchiveAnalyzer

__all__ = ["GoBinaryAnalyzer", "JavaArchiveAnalyzer", "binary_analyzers"]


def binary_analyzers() -> tuple[Analyzer, ...]:
    return (GoBinaryAnalyzer(), JavaArchiveAnalyzer())
