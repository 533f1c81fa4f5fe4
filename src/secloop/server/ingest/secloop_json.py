"""secloop's own JSON report, read through :func:`secloop.output.json_format.load_result`."""

from __future__ import annotations

from typing import ClassVar

from secloop.core.errors import ReportError
from secloop.core.result import ScanResult
from secloop.output.json_format import load_result
from secloop.server.errors import IngestError
from secloop.server.ingest._common import check_count, check_size
from secloop.server.ingest.interface import (
    CoverageSummary,
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)


def report_from_result(result: ScanResult) -> ImportedReport:
    """A secloop result as an import; a result with failed inputs is partial.

    Its workloads are known (possibly none) only when the kubernetes scanner ran.
    """
    coverage = CoverageSummary(
        scanned=len(result.scanned), skipped=len(result.skipped), failed=len(result.failed)
    )
    return ImportedReport(
        format=ImportFormat.SECLOOP,
        tool="secloop",
        tool_version=result.tool_version,
        target=result.target.name,
        findings=result.findings,
        scanners=result.scanners,
        rules=result.rules,
        complete=coverage.failed == 0,
        coverage=coverage,
        workloads=result.workloads if "kubernetes" in result.scanners else None,
    )


class SecloopJsonImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.SECLOOP

    def matches(self, document: object) -> bool:
        if not isinstance(document, dict):
            return False
        tool = document.get("tool")
        return (
            "schema_version" in document
            and isinstance(tool, dict)
            and tool.get("name") == ("secloop")
        )

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        check_size(data, source=source, limits=limits)
        try:
            result = load_result(data, source=source)
        except ReportError as err:
            raise IngestError(err.message) from None
        except RecursionError:
            raise IngestError(f"{source}: secloop JSON report nests too deep") from None
        check_count(len(result.findings), source=source, limits=limits)
        return report_from_result(result)
