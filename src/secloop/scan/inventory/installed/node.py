"""Installed npm packages: ``node_modules/<name>/package.json`` and
``node_modules/@scope/<name>/package.json``, nested ``node_modules`` included. Other
``package.json`` files inside a package (test fixtures, sub-builds) are not packages
and are left alone, as are ones without a name and version. The licence is the
``license`` field (an SPDX expression by npm's rules; the deprecated ``{"type": ...}``
object and ``licenses`` array are read too, several entries joined with ``OR``)."""

from __future__ import annotations

from typing import Any

from secloop.core.license import normalize_license
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


def _license_name(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("type")
    return value if isinstance(value, str) and value.strip() else None


def declared_license(document: dict[str, Any]) -> str | None:
    """``license``, else the deprecated ``licenses`` array; None when neither is given."""
    single = _license_name(document.get("license"))
    if single is not None:
        return normalize_license(single)
    several = document.get("licenses")
    if not isinstance(several, list):
        return None
    names = [n for n in (_license_name(v) for v in several) if n]
    if not names:
        return None
    return normalize_license(names[0] if len(names) == 1 else " OR ".join(names))


def parse_package_json(text: str, location: PackageLocation) -> tuple[Package, ...]:
    document = load_json(text, location.path)
    if not isinstance(document, dict):
        return ()
    name, version = document.get("name"), document.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return ()
    package = Package.create(
        name=name,
        version=version,
        ecosystem="npm",
        locations=(location,),
        license=declared_license(document),
    )
    return (package,)


class NodeModulesAnalyzer(Analyzer):
    name = "npm-installed"

    def applies_to(self, entry: FileEntry) -> bool:
        return is_installed_package_json(entry.path)

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        return AnalyzerOutput(packages=parse_package_json(content.text, location))
