"""What every lockfile analyzer shares: package construction and decoding with errors
that name the file, so a user sees ``poetry.lock: not valid TOML (line 3)``."""

from __future__ import annotations

import json
import tomllib
from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

import yaml
from packaging.utils import canonicalize_name

from secloop.core.package import Package, PackageLocation
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError

__all__ = [
    "LockfileAnalyzer",
    "load_json",
    "load_toml",
    "load_yaml",
    "make_package",
    "pypi_name",
]


def make_package(name: str, version: str, ecosystem: str, path: str) -> Package:
    return Package.create(
        name=name, version=version, ecosystem=ecosystem, locations=(PackageLocation(path=path),)
    )


def pypi_name(name: str) -> str:
    """PEP 503 form: lockfiles spell names freely, advisories and purls use this one."""
    return str(canonicalize_name(name))


def load_json(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise ScanError(f"{path}: could not extract from file: not valid JSON ({err})") from None


def load_toml(text: str, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScanError(f"{path}: could not extract from file: not valid TOML ({err})") from None


def toml_package_tables(text: str, path: str) -> list[dict[str, Any]]:
    """The ``[[package]]`` tables with a name and a version (Cargo, Poetry and uv locks)."""
    entries = load_toml(text, path).get("package", [])
    if not isinstance(entries, list):
        raise ScanError(f"{path}: could not extract from file: 'package' is not an array")
    return [e for e in entries if isinstance(e, dict) and "name" in e and "version" in e]


def load_yaml(text: str, path: str) -> Any:
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as err:
        reason = str(err).splitlines()[0]
        raise ScanError(f"{path}: could not extract from file: not valid YAML ({reason})") from None


def expect_mapping(value: object, path: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScanError(f"{path}: could not extract from file: {what} is not a mapping")
    return value


def dedupe(packages: Iterable[Package]) -> tuple[Package, ...]:
    """One package per (name, version): lockfiles repeat entries across groups."""
    seen: dict[tuple[str, str], Package] = {}
    for package in packages:
        seen.setdefault((package.name, package.version), package)
    return tuple(seen.values())


class LockfileAnalyzer(Analyzer):
    """An analyzer recognised by exact file names, parsing text into packages."""

    file_names: frozenset[str] = frozenset()

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name in self.file_names

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        return AnalyzerOutput(packages=self.parse(content.text, content.entry.path))

    @abstractmethod
    def parse(self, text: str, path: str) -> tuple[Package, ...]: ...
