"""apk: ``lib/apk/db/installed``, one block per package (apk-tools' database format:
single-letter keys, ``P`` name, ``V`` version, ``o`` origin, i.e. the source package
Alpine's secdb advisories name, ``L`` the licence, an SPDX-style expression)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from secloop.core.license import normalize_license
from secloop.core.package import Package, PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry
from secloop.scan.inventory.os.release import distro_ecosystem, purl_distro

__all__ = ["ApkAnalyzer", "parse_apk_installed"]

INSTALLED = "lib/apk/db/installed"


def _blocks(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line, fields) of each package block."""
    fields: dict[str, str] = {}
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if fields:
                yield start, fields
            fields = {}
        elif len(line) > 1 and line[1] == ":":
            if not fields:
                start = number
            fields.setdefault(line[0], line[2:])  # F:/R: repeat; the first P/V/o is all
    if fields:
        yield start, fields


def parse_apk_installed(
    text: str, ecosystem: str, location: PackageLocation, distro: str | None = None
) -> tuple[Package, ...]:
    """Installed packages; purls qualified with ``arch`` (``A:``) and ``distro``."""
    found = []
    for start, fields in _blocks(text):
        name, version = fields.get("P"), fields.get("V")
        if not name or not version:
            continue
        found.append(
            Package.create(
                name=name,
                version=version,
                ecosystem=ecosystem,
                source_name=fields.get("o") or name,
                locations=(replace(location, line=start),),
                license=normalize_license(fields.get("L")),
                purl_qualifiers={"arch": fields.get("A", ""), "distro": distro or ""},
            )
        )
    return tuple(found)


class ApkAnalyzer(Analyzer):
    name = "apk"

    def __init__(self, os: OperatingSystem | None = None) -> None:
        qualified = distro_ecosystem(os) if os and os.family == "alpine" else None
        self.ecosystem = qualified or "Alpine"
        self.distro = purl_distro(os)  # the system's release, whatever the package format

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.path == INSTALLED

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        return AnalyzerOutput(
            packages=parse_apk_installed(content.text, self.ecosystem, location, self.distro)
        )
