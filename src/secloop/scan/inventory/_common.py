"""What every lockfile analyzer shares: package construction and decoding with errors
that name the file, so a user sees ``poetry.lock: not valid TOML (line 3)``."""

from __future__ import annotations

import json
import re
import tomllib
from abc import abstractmethod
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import yaml
from packaging.utils import canonicalize_name

from secloop.core.package import Package, PackageLocation
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError

__all__ = [
    "JsonKeyLines",
    "LockfileAnalyzer",
    "NameIndex",
    "TextOffsets",
    "Unpinned",
    "load_json",
    "load_toml",
    "load_yaml",
    "make_package",
    "merge_edges",
    "pypi_name",
    "with_edges",
]


def make_package(
    name: str,
    version: str,
    ecosystem: str,
    path: str,
    *,
    line: int | None = None,
    direct: bool | None = None,
    license: str | None = None,
    dev: bool = False,
    depends_on: tuple[str, ...] = (),
) -> Package:
    return Package.create(
        name=name,
        version=version,
        ecosystem=ecosystem,
        locations=(PackageLocation(path=path, line=line),),
        license=license,
        direct=direct,
        dev=dev,
        depends_on=depends_on,
    )


_JSON_OBJECT_KEY = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*:\s*[\[{]')
_OPENS = ("{", "[", "{}", "[]")


class JsonKeyLines:
    """Lines of the keys that open an object or array in pretty-printed JSON, searched
    forward in document order.

    ``json`` keeps no positions, and a second, position-keeping parser would double the
    cost of the largest lockfiles. Python dicts keep the document's order, so walking
    the parsed document while searching forward from the last match finds each key's
    own line (the same key deeper or earlier in the file is never taken). Minified JSON
    has no key at the start of a line: every lookup then answers None.
    """

    def __init__(self, text: str) -> None:
        self._keys: list[tuple[str, int]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            # Most lines are scalar members ("version": "1.0.0",): one cheap test each.
            opens = line.endswith(_OPENS) or line.rstrip(",").endswith(_OPENS)
            if opens and (match := _JSON_OBJECT_KEY.match(line)):
                self._keys.append((match.group(1), number))
        self._cursor = 0

    def find(self, key: str) -> int | None:
        """The line of the next ``"key": {`` or ``"key": [`` at or after the cursor."""
        for index in range(self._cursor, len(self._keys)):
            if self._keys[index][0] == key:
                self._cursor = index + 1
                return self._keys[index][1]
        return None


class TextOffsets:
    """1-based line of a character offset, for formats parsed without positions (a
    needle found with ``str.find`` in the text is mapped back to its line)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def line_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unpinned:
    """A dependency a manifest declares without one exact version (a range, or a
    version this file alone cannot tell): reported as a finding of its own, never
    turned into a guessed package version."""

    name: str
    ecosystem: str
    requirement: str  # as written, e.g. "[1.0,2.0)"
    line: int | None
    reason: str
    #: True when the declaration is not loose but this file alone cannot tell its
    #: version (a parent POM manages it); False for a range or a missing version.
    undetermined: bool = False


def table_header_lines(text: str, header: str) -> list[int]:
    """1-based lines of every ``header`` (such as ``[[package]]``), in order."""
    return [
        number for number, line in enumerate(text.splitlines(), start=1) if line.strip() == header
    ]


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


def toml_package_tables(text: str, path: str) -> list[tuple[dict[str, Any], int | None]]:
    """The ``[[package]]`` tables with a name and a version (Cargo, Poetry and uv locks),
    each with the line of its header.

    The n-th ``[[package]]`` header line is the n-th table of the array (TOML keeps array
    order); when the counts differ (an inline ``package = [...]`` array) no line is given.
    """
    entries = load_toml(text, path).get("package", [])
    if not isinstance(entries, list):
        raise ScanError(f"{path}: could not extract from file: 'package' is not an array")
    headers = table_header_lines(text, "[[package]]")
    lines: list[int | None] = (
        list(headers) if len(headers) == len(entries) else [None] * len(entries)
    )
    return [
        (e, line)
        for e, line in zip(entries, lines, strict=True)
        if isinstance(e, dict) and "name" in e and "version" in e
    ]


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
    """One package per (name, version): lockfiles repeat entries across groups and
    nesting levels. The first entry keeps its place; the package is direct when any
    entry is, and dev only when every entry is."""
    seen: dict[tuple[str, str], Package] = {}
    for package in packages:
        key = (package.name, package.version)
        first = seen.get(key)
        if first is None:
            seen[key] = package
        elif (
            (package.direct and not first.direct)
            or (first.dev and not package.dev)
            or not set(package.depends_on) <= set(first.depends_on)
        ):
            seen[key] = replace(
                first,
                direct=first.direct or package.direct,
                dev=first.dev and package.dev,
                depends_on=merge_edges(first.depends_on, package.depends_on),
            )
    return tuple(seen.values())


def merge_edges(first: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """``first`` then what ``other`` adds, in order and without repeats."""
    return (*first, *(purl for purl in dict.fromkeys(other) if purl not in first))


def with_edges(packages: Iterable[Package], edges: Iterable[tuple[str, str]]) -> list[Package]:
    """``packages`` with ``depends_on`` set from (parent purl, child purl) pairs; pairs
    naming a package not in ``packages``, and self-edges, are dropped (a lockfile's
    graph can only point at what it locks)."""
    packages = list(packages)
    known = {p.purl for p in packages}
    children: dict[str, dict[str, None]] = {}
    for parent, child in edges:
        if parent != child and parent in known and child in known:
            children.setdefault(parent, {})[child] = None
    return [
        replace(p, depends_on=merge_edges(p.depends_on, tuple(children[p.purl])))
        if p.purl in children
        else p
        for p in packages
    ]


class NameIndex:
    """Packages of one lockfile by name, to resolve the names its dependency lists
    give into purls: ``name`` alone means every locked version of it (a lock keeps
    several only under exclusive markers), ``name`` with a version means that one."""

    def __init__(self, packages: Iterable[Package]) -> None:
        self._by_name: dict[str, list[Package]] = {}
        for package in packages:
            self._by_name.setdefault(package.name, []).append(package)

    def resolve(self, name: str, version: str | None = None) -> list[str]:
        candidates = self._by_name.get(name, [])
        if version is not None:
            return [p.purl for p in candidates if p.version == version]
        return [p.purl for p in candidates]


class LockfileAnalyzer(Analyzer):
    """An analyzer recognised by exact file names, parsing text into packages."""

    file_names: frozenset[str] = frozenset()

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name in self.file_names

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        return AnalyzerOutput(packages=self.parse(content.text, content.entry.path))

    @abstractmethod
    def parse(self, text: str, path: str) -> tuple[Package, ...]: ...
