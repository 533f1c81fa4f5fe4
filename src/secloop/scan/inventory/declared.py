"""Direct or transitive, from the manifest beside a lockfile that does not say.

``poetry.lock``, ``pdm.lock``, ``Pipfile.lock``, ``yarn.lock`` and ``composer.lock``
record every resolved package but not which of them the project asks for; the
manifest in the same directory does (``pyproject.toml``, ``Pipfile``, ``package.json``,
``composer.json``). Each manifest analyzer here reads the names its manifest declares
(runtime, optional, development and group dependencies alike: all are the project's
own choice) as a :class:`~secloop.scan.interface.Declaration`; after the walk,
:func:`mark_direct` marks the sibling lockfile's packages.

A package whose name is declared is direct when the lockfile holds one version of it.
When it holds several (a yarn.lock resolving two ranges of one name), which one the
manifest's range selected is not known here, so those stay unknown rather than all
being called direct. A lockfile without its manifest in the walk stays as its format
says (unknown), and a package the lockfile itself marks keeps its mark.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from secloop.core.package import Package
from secloop.scan.interface import (
    Analyzer,
    AnalyzerOutput,
    Declaration,
    FileContent,
    FileEntry,
)
from secloop.scan.inventory._common import load_json, load_toml, pypi_name

__all__ = [
    "ComposerJsonAnalyzer",
    "PackageJsonAnalyzer",
    "PipfileAnalyzer",
    "PyprojectAnalyzer",
    "mark_direct",
]

_NPM_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_COMPOSER_FIELDS = ("require", "require-dev")
_PEP508_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _directory(path: str) -> str:
    return path.rpartition("/")[0]


def _keys(table: object) -> Iterator[str]:
    if isinstance(table, dict):
        yield from (str(key) for key in table)


def _requirement_name(text: object) -> str | None:
    """The project name of a PEP 508 string; the leading name when the rest does not
    parse (a marker typo still names the dependency)."""
    if not isinstance(text, str):
        return None
    try:
        return Requirement(text).name
    except InvalidRequirement:
        match = _PEP508_NAME.match(text)
        return match.group(1) if match else None


def _requirement_names(values: object) -> Iterator[str]:
    """Names in a list of PEP 508 strings (PEP 735 ``{include-group = ...}`` tables
    name other groups, not packages, and are passed over)."""
    if isinstance(values, list):
        yield from (name for value in values if (name := _requirement_name(value)))


def _pyproject_names(document: dict[str, Any]) -> Iterator[str]:
    project = document.get("project")
    if isinstance(project, dict):
        yield from _requirement_names(project.get("dependencies"))
        extras = project.get("optional-dependencies")
        for values in extras.values() if isinstance(extras, dict) else ():
            yield from _requirement_names(values)
    groups = document.get("dependency-groups")  # PEP 735
    for values in groups.values() if isinstance(groups, dict) else ():
        yield from _requirement_names(values)
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        yield from (n for n in _keys(poetry.get("dependencies")) if n.lower() != "python")
        yield from _keys(poetry.get("dev-dependencies"))
        poetry_groups = poetry.get("group")
        for group in poetry_groups.values() if isinstance(poetry_groups, dict) else ():
            if isinstance(group, dict):
                yield from _keys(group.get("dependencies"))


class _ManifestAnalyzer(Analyzer):
    """Recognised by exact file name outside ``node_modules`` and ``vendor`` (installed
    packages' own manifests declare for those packages, not for a project)."""

    file_name: str
    ecosystem: str
    lockfiles: frozenset[str]

    def applies_to(self, entry: FileEntry) -> bool:
        if entry.name != self.file_name:
            return False
        parts = entry.path.split("/")
        return "node_modules" not in parts and "vendor" not in parts

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        path = content.entry.path
        names = frozenset(_normalised(self.ecosystem, n) for n in self.declared(content.text, path))
        declaration = Declaration(
            manifest=path, ecosystem=self.ecosystem, names=names, lockfiles=self.lockfiles
        )
        return AnalyzerOutput(declarations=(declaration,))

    @abstractmethod
    def declared(self, text: str, path: str) -> Iterable[str]:
        """The names the manifest declares; ScanError (naming the file) if unreadable."""


class PyprojectAnalyzer(_ManifestAnalyzer):
    """``[project]`` dependencies and extras, PEP 735 groups, Poetry's tables."""

    name = "pyproject-manifest"
    file_name = "pyproject.toml"
    ecosystem = "PyPI"
    lockfiles = frozenset({"poetry.lock", "pdm.lock"})

    def declared(self, text: str, path: str) -> Iterable[str]:
        return list(_pyproject_names(load_toml(text, path)))


class PipfileAnalyzer(_ManifestAnalyzer):
    name = "pipfile-manifest"
    file_name = "Pipfile"
    ecosystem = "PyPI"
    lockfiles = frozenset({"Pipfile.lock"})

    def declared(self, text: str, path: str) -> Iterable[str]:
        document = load_toml(text, path)
        return [*_keys(document.get("packages")), *_keys(document.get("dev-packages"))]


class PackageJsonAnalyzer(_ManifestAnalyzer):
    name = "package-json-manifest"
    file_name = "package.json"
    ecosystem = "npm"
    lockfiles = frozenset({"yarn.lock"})

    def declared(self, text: str, path: str) -> Iterable[str]:
        document = load_json(text, path)
        if not isinstance(document, dict):
            return ()
        return [name for field in _NPM_FIELDS for name in _keys(document.get(field))]


class ComposerJsonAnalyzer(_ManifestAnalyzer):
    name = "composer-json-manifest"
    file_name = "composer.json"
    ecosystem = "Packagist"
    lockfiles = frozenset({"composer.lock"})

    def declared(self, text: str, path: str) -> Iterable[str]:
        document = load_json(text, path)
        if not isinstance(document, dict):
            return ()
        return [name for field in _COMPOSER_FIELDS for name in _keys(document.get(field))]


# How a manifest's and a lockfile's names are compared: PEP 503 for PyPI, Composer
# names ignore case, npm names are exact.
_NORMALISE = {"PyPI": pypi_name, "Packagist": str.lower}


def _normalised(ecosystem: str, name: str) -> str:
    normalise = _NORMALISE.get(ecosystem)
    return normalise(name) if normalise else name


def mark_direct(
    packages: Sequence[Package], declarations: Sequence[Declaration]
) -> tuple[Package, ...]:
    """``packages`` with ``direct`` set, where it is unknown, for those read from a
    lockfile that a manifest in the same directory speaks for (see the module)."""
    speaks_for: dict[tuple[str, str], Declaration] = {}
    for declaration in declarations:
        directory = _directory(declaration.manifest)
        for lockfile in declaration.lockfiles:
            speaks_for[directory, lockfile] = declaration
    if not speaks_for:
        return tuple(packages)
    versions: dict[tuple[str, str], set[str]] = {}  # (lockfile path, name) -> versions
    for package in packages:
        if package.locations:
            key = (package.locations[0].path, _name(package))
            versions.setdefault(key, set()).add(package.version)
    return tuple(_marked(p, speaks_for, versions) for p in packages)


def _name(package: Package) -> str:
    return _normalised(package.ecosystem, package.name)


def _marked(
    package: Package,
    speaks_for: dict[tuple[str, str], Declaration],
    versions: dict[tuple[str, str], set[str]],
) -> Package:
    if package.direct is not None or not package.locations:
        return package
    path = package.locations[0].path
    directory, _, file_name = path.rpartition("/")
    declaration = speaks_for.get((directory, file_name))
    if declaration is None or declaration.ecosystem != package.ecosystem:
        return package
    name = _name(package)
    if name not in declaration.names:
        return replace(package, direct=False)
    if len(versions[path, name]) > 1:
        return package  # which version the manifest's range chose is not known here
    return replace(package, direct=True)
