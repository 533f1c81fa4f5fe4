"""Scanning an existing SBOM: ``secloop scan bom.json``.

The SBOM is parsed up front, so that a broken one stops the command with an error
naming the file and the reason rather than a bare "nothing scanned". Its packages
then go through the ordinary pipeline (:func:`~secloop.scan.engine.scan_artifact`)
with only the inventory scanners (vulnerabilities): secrets or misconfigurations
in the SBOM's own text would be about the SBOM file, not the software it lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from secloop.core.finding import FindingKind
from secloop.core.result import ScanResult, Skipped
from secloop.core.target import Target, TargetKind
from secloop.scan.interface import (
    Analyzer,
    AnalyzerOutput,
    Artifact,
    FileContent,
    FileEntry,
    Scanner,
)
from secloop.scan.sbom.reader import (
    SbomDocument,
    SbomError,
    SbomLimits,
    looks_like_sbom,
    package_from_purl,
    parse_sbom,
)

if TYPE_CHECKING:  # the engine imports the registry, whose analyzers import this package
    from secloop.scan.engine import ProgressSink

__all__ = [
    "SbomDocument",
    "SbomError",
    "SbomLimits",
    "is_sbom_file",
    "package_from_purl",
    "parse_sbom",
    "read_sbom",
    "scan_sbom",
]

_SNIFF_BYTES = 64 * 1024
#: Finding kinds that come from the inventory alone, which is all an SBOM gives.
_INVENTORY_KINDS = frozenset({FindingKind.VULNERABILITY, FindingKind.LICENSE})


def is_sbom_file(path: Path) -> bool:
    """A ``.json`` file whose first 64 KiB name an SBOM format (``bomFormat``,
    ``spdxVersion``); lockfiles and other JSON go the ordinary way."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            return looks_like_sbom(handle.read(_SNIFF_BYTES))
    except OSError:
        return False


def read_sbom(path: Path, limits: SbomLimits | None = None) -> SbomDocument:
    """Read and parse an SBOM file, bounded by ``limits.max_bytes``."""
    limits = limits or SbomLimits()
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as err:
        raise SbomError(f"{path}: cannot read ({err.strerror or err})") from None
    return parse_sbom(data, path.name, limits)


class _SbomArtifact(Artifact):
    """The SBOM file as a one-file artifact whose target kind is SBOM."""

    def __init__(self, path: Path, size: int) -> None:
        self._entry = FileEntry(path=path.name, size=size)
        self._target = Target(kind=TargetKind.SBOM, name=str(path))

    @property
    def target(self) -> Target:
        return self._target

    def walk(self) -> Iterator[FileEntry | Skipped]:
        yield self._entry

    def read(self, entry: FileEntry) -> bytes:
        return b""  # already parsed: the analyzer below holds the document


class _ParsedSbomAnalyzer(Analyzer):
    name = "sbom"
    text_only = False

    def __init__(self, document: SbomDocument) -> None:
        self._document = document

    def applies_to(self, entry: FileEntry) -> bool:
        return True

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        return AnalyzerOutput(
            packages=self._document.packages, operating_system=self._document.operating_system
        )


def scan_sbom(
    path: Path,
    scanners: Sequence[Scanner],
    *,
    progress: ProgressSink | None = None,
    limits: SbomLimits | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanResult:
    """Scan the packages an SBOM lists with the inventory scanners among ``scanners``."""
    from secloop.scan.engine import scan_artifact

    document = read_sbom(path, limits)
    inventory_scanners = [s for s in scanners if s.kind in _INVENTORY_KINDS]
    result = scan_artifact(
        _SbomArtifact(path, path.stat().st_size),
        analyzers=(_ParsedSbomAnalyzer(document),),
        scanners=inventory_scanners,
        progress=progress,
        clock=clock,
    )
    if document.skipped:
        note = f"{path.name}: {document.skipped} components without a purl of a known ecosystem"
        return _with_warning(result, note)
    return result


def _with_warning(result: ScanResult, warning: str) -> ScanResult:
    return replace(result, warnings=(*result.warnings, warning))
