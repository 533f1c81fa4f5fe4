"""SBOMs found while walking a tree: their packages join the inventory.

A repository or image often ships an SBOM of something it vendors or builds
(``bom.json``, ``app.cdx.json``, ``app.spdx.json``); its packages are inventory like a
lockfile's, each located at the SBOM file. Files are recognised by name, the
conventional names of both specifications (CycloneDX: ``bom.json``, ``*.cdx.json``;
SPDX: ``*.spdx.json``), and must then say which format they are: a broken or
unrecognised one is a :class:`~secloop.scan.sbom.reader.SbomError` naming the file and
the reason, which the engine records in the coverage manifest while the scan goes on.
Only JSON is read (the reader's formats); XML SBOMs are left to the walk.

The operating system an SBOM names is not taken: a tree's SBOM describes something
else (a vendored image, a release), not the system being scanned.
"""

from __future__ import annotations

from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry
from secloop.scan.sbom.reader import SbomLimits, parse_sbom

__all__ = ["SbomFileAnalyzer", "is_sbom_name"]

_NAMES = frozenset({"bom.json", "sbom.json"})
_SUFFIXES = (".cdx.json", ".spdx.json", ".bom.json")


def is_sbom_name(name: str) -> bool:
    """The file names SBOM tools write by convention (compared without case)."""
    lowered = name.lower()
    return lowered in _NAMES or lowered.endswith(_SUFFIXES)


class SbomFileAnalyzer(Analyzer):
    name = "sbom-file"

    def __init__(self, limits: SbomLimits | None = None) -> None:
        self._limits = limits or SbomLimits()

    def applies_to(self, entry: FileEntry) -> bool:
        return is_sbom_name(entry.name)

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        document = parse_sbom(content.data, content.entry.path, self._limits)
        problems = (
            (f"{document.skipped} components without a purl of a known ecosystem: not scanned",)
            if document.skipped
            else ()
        )
        return AnalyzerOutput(packages=document.packages, problems=problems)
