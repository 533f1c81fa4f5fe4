"""apk: ``lib/apk/db/installed``, one block per package (apk-tools' database format:
single-letter keys, ``P`` name, ``V`` version, ``o`` origin, i.e. the source package
Alpine's secdb advisories name)."""

from __future__ import annotations

from collections.abc import Iterator

from secloop.core.package import Package, PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry
from secloop.scan.inventory.os.release import distro_ecosystem

__all__ = ["ApkAnalyzer", "parse_apk_installed"]

INSTALLED = "lib/apk/db/installed"


def _blocks(text: str) -> Iterator[dict[str, str]]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif len(line) > 1 and line[1] == ":":
            fields.setdefault(line[0], line[2:])  # F:/R: repeat; the first P/V/o is all
    if fields:
        yield fields


def parse_apk_installed(
    text: str, ecosystem: str, location: PackageLocation
) -> tuple[Package, ...]:
    found = []
    for fields in _blocks(text):
        name, version = fields.get("P"), fields.get("V")
        if not name or not version:
            continue
        found.append(
            Package.create(
                name=name,
                version=version,
                ecosystem=ecosystem,
                source_name=fields.get("o") or name,
                locations=(location,),
            )
        )
    return tuple(found)


class ApkAnalyzer(Analyzer):
    name = "apk"

    def __init__(self, os: OperatingSystem | None = None) -> None:
        qualified = distro_ecosystem(os) if os and os.family == "alpine" else None
        self.ecosystem = qualified or "Alpine"

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.path == INSTALLED

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        return AnalyzerOutput(packages=parse_apk_installed(content.text, self.ecosystem, location))
