"""The explicit table of importers, format auto-detection, and the one ingest call."""

from __future__ import annotations

import json

from secloop.server.errors import IngestError
from secloop.server.ingest._common import check_size
from secloop.server.ingest.bandit import BanditImporter
from secloop.server.ingest.checkov import CheckovImporter
from secloop.server.ingest.gitleaks import GitleaksImporter
from secloop.server.ingest.grype import GrypeImporter
from secloop.server.ingest.interface import ImportedReport, Importer, ImportFormat, ImportLimits
from secloop.server.ingest.osv_scanner import OsvScannerImporter
from secloop.server.ingest.sarif import SarifImporter
from secloop.server.ingest.secloop_json import SecloopJsonImporter
from secloop.server.ingest.semgrep import SemgrepImporter
from secloop.server.ingest.trivy import TrivyImporter
from secloop.server.ingest.zap import ROOT_TAG, ZapImporter

# Detection order matters only where shapes overlap: secloop and SARIF first (they
# carry explicit markers), OSV-Scanner before Semgrep (both have "results").
IMPORTERS: tuple[Importer, ...] = (
    SecloopJsonImporter(),
    SarifImporter(),
    TrivyImporter(),
    GrypeImporter(),
    OsvScannerImporter(),
    BanditImporter(),
    SemgrepImporter(),
    CheckovImporter(),
    GitleaksImporter(),
    ZapImporter(),
)


def importer_for(fmt: ImportFormat) -> Importer:
    for importer in IMPORTERS:
        if importer.format is fmt:
            return importer
    raise AssertionError(f"no importer registered for {fmt}")  # a test walks every member


def parse_format(name: str, *, source: str) -> ImportFormat:
    try:
        return ImportFormat(name.strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in ImportFormat)
        raise IngestError(f"{source}: unknown format {name!r}; choose one of {choices}") from None


def _sniff(data: bytes) -> object:
    """What detection looks at: the JSON value, or ``<root>`` for an XML document."""
    head = data.lstrip()
    if head.startswith(b"<"):
        start = head.find(b"<OWASPZAPReport")
        return f"<{ROOT_TAG}>" if 0 <= start < 4096 else "<xml>"
    try:
        return json.loads(data)
    except (RecursionError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def detect(data: bytes, *, source: str) -> ImportFormat:
    """The format of a report, by its shape; an unknown shape is an ingest error."""
    document = _sniff(data)
    for importer in IMPORTERS:
        if importer.matches(document):
            return importer.format
    raise IngestError(
        f"{source}: cannot tell the report format; pass `format` "
        f"({', '.join(f.value for f in ImportFormat)})"
    )


def import_report(
    data: bytes,
    *,
    source: str,
    fmt: ImportFormat | None = None,
    limits: ImportLimits | None = None,
) -> ImportedReport:
    """Parse a report into core values; the format is detected when not given."""
    limits = limits or ImportLimits()
    check_size(data, source=source, limits=limits)  # before detection parses anything
    chosen = fmt or detect(data, source=source)
    return importer_for(chosen).parse(data, source=source, limits=limits)
