"""Report importers: each format in its own module, returning core values only."""

from secloop.server.ingest.interface import (
    CoverageSummary,
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)
from secloop.server.ingest.registry import IMPORTERS, detect, import_report, importer_for

__all__ = [
    "IMPORTERS",
    "CoverageSummary",
    "ImportFormat",
    "ImportLimits",
    "ImportedReport",
    "Importer",
    "detect",
    "import_report",
    "importer_for",
]
