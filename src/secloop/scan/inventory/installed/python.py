"""Installed Python distributions: ``*.dist-info/METADATA`` (PEP 376/566) and
``*.egg-info/PKG-INFO`` or a single-file ``*.egg-info`` (setuptools). Both are the
core-metadata format: RFC 822 headers, of which ``Name`` and ``Version`` are read."""

from __future__ import annotations

from email.parser import HeaderParser

from secloop.core.package import Package, PackageLocation
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError
from secloop.scan.inventory._common import pypi_name

__all__ = ["PythonDistributionAnalyzer", "parse_core_metadata"]


def parse_core_metadata(text: str, location: PackageLocation) -> tuple[Package, ...]:
    headers = HeaderParser().parsestr(text, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise ScanError(f"{location.path}: core metadata without Name and Version")
    return (
        Package.create(
            name=pypi_name(str(name).strip()),
            version=str(version).strip(),
            ecosystem="PyPI",
            locations=(location,),
        ),
    )


class PythonDistributionAnalyzer(Analyzer):
    name = "python-installed"

    def applies_to(self, entry: FileEntry) -> bool:
        path = entry.path
        parent = path.rsplit("/", 2)[-2] if path.count("/") >= 1 else ""
        if entry.name == "METADATA":
            return parent.endswith(".dist-info")
        if entry.name == "PKG-INFO":
            return parent.endswith(".egg-info")
        return entry.name.endswith(".egg-info") and "site-packages/" in path

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        return AnalyzerOutput(packages=parse_core_metadata(content.text, location))
