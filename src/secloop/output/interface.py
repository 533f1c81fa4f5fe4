"""Report formats: one module per format behind one interface.

A formatter turns a finished :class:`ScanResult` (after policy: suppressions and
baseline states applied) into the bytes of one report. Formatters are pure: no I/O,
no clock, no environment, so that golden files are exact.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TextIO

from secloop.core.errors import Error
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.intel.model import ExploitSignal

__all__ = ["SBOM_FORMATS", "Formatter", "OutputError", "OutputFormat", "ReportContext"]


class OutputError(Error):
    """A report cannot be produced or written."""


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    HTML = "html"
    CYCLONEDX = "cyclonedx"
    SPDX = "spdx"
    GITLAB_SAST = "gitlab-sast"
    GITLAB_SECRET_DETECTION = "gitlab-secret-detection"  # noqa: S105 - a format name
    GITLAB_DEPENDENCY_SCANNING = "gitlab-dependency-scanning"
    GITLAB_CONTAINER_SCANNING = "gitlab-container-scanning"
    CODEQUALITY = "codequality"


#: Formats that list the inventory itself: a scan for them collects packages even when
#: no selected scanner reads them.
SBOM_FORMATS = frozenset({OutputFormat.CYCLONEDX, OutputFormat.SPDX})


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportContext:
    """What a report needs beyond the result: the gate it was judged by, and the
    KEV/EPSS signals of vulnerability findings (keyed by fingerprint; only findings a
    loaded feed mentions).

    ``color`` only matters to terminal formats.
    """

    fail_on: Severity = Severity.UNKNOWN
    color: bool = False
    width: int = 120
    exploits: Mapping[str, ExploitSignal] = field(default_factory=dict)


class Formatter(ABC):
    format: OutputFormat

    @abstractmethod
    def render(self, result: ScanResult, context: ReportContext) -> str:
        """The whole report as text (every format here is text: JSON, XML, HTML, a table)."""

    def write(self, result: ScanResult, context: ReportContext, stream: TextIO) -> None:
        """Write the report to ``stream``; a format that can produce it in pieces (JSON)
        overrides this so a large report never exists whole in memory."""
        stream.write(self.render(result, context))
