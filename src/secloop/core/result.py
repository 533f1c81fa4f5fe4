"""A scan's outcome: findings, inventory, and the coverage manifest of every input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from secloop.core.exposure import WorkloadExposure
from secloop.core.finding import Finding
from secloop.core.package import Package
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.core.target import Target


class SkipReason(StrEnum):
    """Why an input was not read; each value is explained in the coverage manifest."""

    IGNORED = "ignored"  # matched .gitignore or the exclude list
    TOO_LARGE = "too_large"
    BINARY = "binary"
    SYMLINK = "symlink"  # not followed; its destination is scanned where it lives
    SYMLINK_OUTSIDE = "symlink_outside"
    BROKEN_SYMLINK = "broken_symlink"
    SPECIAL_FILE = "special_file"
    LIMIT_REACHED = "limit_reached"
    UNSAFE_PATH = "unsafe_path"  # an archive member named to escape (``..``, absolute, NUL)
    CORRUPT = "corrupt"  # a layer or archive that ends early or does not decode
    UNRESOLVED_LINK = "unresolved_link"  # a hard link or whiteout that names nothing usable


@dataclass(frozen=True, slots=True, kw_only=True)
class Scanned:
    """An input that was read; ``by`` names the analyzers and scanners that used it."""

    path: str
    by: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    path: str
    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed:
    """An input that could not be read, decoded or parsed; ``by`` is who failed on it."""

    path: str
    reason: str
    by: str = ""


Coverage = Scanned | Skipped | Failed


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatingSystem:
    family: str
    name: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    target: Target
    started_at: datetime
    finished_at: datetime
    tool_version: str
    scanners: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    rules: Mapping[str, Rule] = field(default_factory=dict)
    packages: tuple[Package, ...] = ()
    operating_system: OperatingSystem | None = None
    coverage: tuple[Coverage, ...] = ()
    files_without_scanner: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Kubernetes workloads and how reachable they are (core.exposure); only filled
    # when the kubernetes scanner ran.
    workloads: tuple[WorkloadExposure, ...] = ()

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.active)

    @property
    def scanned(self) -> tuple[Scanned, ...]:
        return tuple(c for c in self.coverage if isinstance(c, Scanned))

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(c for c in self.coverage if isinstance(c, Skipped))

    @property
    def failed(self) -> tuple[Failed, ...]:
        return tuple(c for c in self.coverage if isinstance(c, Failed))

    def severity_counts(self, *, active_only: bool = True) -> dict[Severity, int]:
        """Findings per severity, every severity present (zero where none)."""
        source = self.active_findings if active_only else self.findings
        counts = Counter(f.severity for f in source)
        return {severity: counts.get(severity, 0) for severity in Severity}
