"""The importer plugin family: one report format in, core values out.

An importer never touches the database: it turns the bytes of a report into an
:class:`ImportedReport` of core :class:`~secloop.core.finding.Finding` values, so each
one is tested on sample reports without a database (the DefectDojo parsers this
replaces build ORM rows and need one). Storage, correlation and lifecycle work on
what importers return.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from secloop.core.exposure import WorkloadExposure
from secloop.core.finding import Finding
from secloop.core.rule import Rule
from secloop.server.errors import IngestError

__all__ = [
    "CoverageSummary",
    "ImportFormat",
    "ImportLimits",
    "ImportedReport",
    "Importer",
    "IngestError",
]


class ImportFormat(StrEnum):
    """Every report format the server reads; the ``format`` field of an upload."""

    SECLOOP = "secloop"
    SARIF = "sarif"
    TRIVY = "trivy"
    GRYPE = "grype"
    GITLEAKS = "gitleaks"
    SEMGREP = "semgrep"
    BANDIT = "bandit"
    CHECKOV = "checkov"
    ZAP = "zap"
    OSV_SCANNER = "osv-scanner"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportLimits:
    """Caps on untrusted report input; sizes in bytes."""

    max_bytes: int = 200 * 1024 * 1024
    max_depth: int = 64
    max_findings: int = 2_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageSummary:
    """What the tool says it examined; ``failed`` > 0 makes a scan partial."""

    scanned: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedReport:
    """One report as core values.

    ``complete`` is the importer's judgement that the report is a full scan of its
    target by its scanners (no parse errors, no failed inputs): only then may a
    re-import close findings it no longer lists. ``scanners`` names what ran (for
    secloop reports, its scanner plugins; for other tools, the tool itself).
    ``dropped`` explains results read but deliberately not imported (a SARIF result
    whose ``baselineState`` is ``absent`` describes a problem that is gone).
    ``workloads`` is the exposure of each Kubernetes workload when the report computed
    it (a secloop scan that ran the kubernetes scanner), else None: unknown, not empty.
    """

    format: ImportFormat
    tool: str
    tool_version: str = ""
    target: str = ""
    findings: tuple[Finding, ...] = ()
    scanners: tuple[str, ...] = ()
    rules: Mapping[str, Rule] = field(default_factory=dict)
    complete: bool = True
    coverage: CoverageSummary = field(default_factory=CoverageSummary)
    dropped: tuple[str, ...] = ()
    workloads: tuple[WorkloadExposure, ...] | None = None


class Importer(ABC):
    """Reads one report format. Stateless: one instance serves every upload."""

    format: ClassVar[ImportFormat]

    @abstractmethod
    def matches(self, document: object) -> bool:
        """Whether a parsed document (JSON value, or XML root tag as ``<tag>``) is ours.

        Used for format auto-detection; must be cheap and must not raise.
        """

    @abstractmethod
    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        """The report's findings; :class:`IngestError` names ``source`` and the reason."""
