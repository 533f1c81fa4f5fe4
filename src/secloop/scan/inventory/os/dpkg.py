"""dpkg: ``var/lib/dpkg/status`` and distroless ``var/lib/dpkg/status.d/*``.

Both are deb822 paragraphs (deb-control(5)); a package counts when its ``Status``
says ``installed`` (a removed package leaves a ``deinstall ok config-files`` stanza).
``Source: name (version)`` names the source package that Debian and Ubuntu
advisories are written against; without it the source is the package itself.
Each package's line is the first line of its paragraph. dpkg records no licence (the
copyright files under ``usr/share/doc`` are free text), so none is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from secloop.core.package import Package, PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry
from secloop.scan.inventory.os.release import distro_ecosystem, purl_distro

__all__ = ["DpkgAnalyzer", "paragraphs", "parse_dpkg_status"]

STATUS = "var/lib/dpkg/status"
STATUS_DIR = "var/lib/dpkg/status.d/"


def paragraphs(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line, fields) of each deb822 paragraph; continuation lines folded in."""
    fields: dict[str, str] = {}
    last = ""
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, last = {}, ""
        elif line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
        elif ":" in line:
            if not fields:
                start = number
            key, _, value = line.partition(":")
            last = key.strip()
            fields[last] = value.strip()
    if fields:
        yield start, fields


def _installed(fields: dict[str, str]) -> bool:
    status = fields.get("Status")
    return status is None or status.split()[-1:] == ["installed"]


def parse_dpkg_status(
    text: str, ecosystem: str, location: PackageLocation, distro: str | None = None
) -> tuple[Package, ...]:
    """Installed packages; purls qualified with ``arch`` and ``distro`` (when known)."""
    found = []
    for start, fields in paragraphs(text):
        name, version = fields.get("Package"), fields.get("Version")
        if not name or not version or not _installed(fields):
            continue
        source = fields.get("Source", "").split(" ", 1)[0] or name
        found.append(
            Package.create(
                name=name,
                version=version,
                ecosystem=ecosystem,
                source_name=source,
                locations=(replace(location, line=start),),
                purl_qualifiers={
                    "arch": fields.get("Architecture", ""),
                    "distro": distro or "",
                },
            )
        )
    return tuple(found)


class DpkgAnalyzer(Analyzer):
    name = "dpkg"

    def __init__(self, os: OperatingSystem | None = None) -> None:
        family = os.family if os else ""
        qualified = distro_ecosystem(os) if family in ("debian", "ubuntu") else None
        self.ecosystem = qualified or ("Ubuntu" if family == "ubuntu" else "Debian")
        self.distro = purl_distro(os)  # the system's release, whatever the package format

    def applies_to(self, entry: FileEntry) -> bool:
        if entry.path == STATUS:
            return True
        return entry.path.startswith(STATUS_DIR) and not entry.path.endswith(".md5sums")

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        packages = parse_dpkg_status(content.text, self.ecosystem, location, self.distro)
        return AnalyzerOutput(packages=packages)
