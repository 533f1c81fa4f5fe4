"""Installed npm packages: ``node_modules/<name>/package.json`` and
``node_modules/@scope/<name>/package.json``, nested ``node_modules`` included. Other
``package.json`` files inside a package (test fixtures, sub-builds) are not packages
and are left alone, as are ones without a name and version."""

from __future__ import annotations

from secloop.core.package import Package, PackageLocation
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry
from secloop.scan.inventory._common import load_json

__all__ = ["NodeModulesAnalyzer", "is_installed_package_json", "parse_package_json"]

_MARKER = "node_modules/"


def is_installed_package_json(path: str) -> bool:
    if not path.endswith("/package.json") or _MARKER not in path:
        return False
    tail = path.rsplit(_MARKER, 1)[1].split("/")
    if tail[0].startswith("@"):
        return len(tail) == 3
    return len(tail) == 2


def parse_package_json(text: str, location: PackageLocation) -> tuple[Package, ...]:
    document = load_json(text, location.path)
    if not isinstance(document, dict):
        return ()
    name, version = document.get("name"), document.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return ()
    return (Package.create(name=name, version=version, ecosystem="npm", locations=(location,)),)


class NodeModulesAnalyzer(Analyzer):
    name = "npm-installed"

    def applies_to(self, entry: FileEntry) -> bool:
        return is_installed_package_json(entry.path)

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        return AnalyzerOutput(packages=parse_package_json(content.text, location))
