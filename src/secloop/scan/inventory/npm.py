"""npm: ``package-lock.json`` (lockfile versions 1, 2 and 3) and ``npm-shrinkwrap.json``.

Versions 2 and 3 list every installed package under ``packages``, keyed by its path
(``node_modules/a/node_modules/b``); version 1 nests ``dependencies`` trees. Version 2
carries both, and ``packages`` is read as the complete one. An alias
(``"npm:string-width@4.2.0"``) installs the real package under another folder name,
and the real name is what advisories use. A git or ``file:`` dependency has no
registry version and is kept with an empty version (nothing to match, but inventory).

Versions 2 and 3 also say what the project declares: the root entry ``packages[""]``
(and each workspace folder's entry) lists its ``dependencies``, ``devDependencies``,
``optionalDependencies`` and ``peerDependencies``; a package installed at the top of
``node_modules`` under one of those names is direct, every other one transitive. They
carry each package's ``license`` too. Version 1 tells neither. ``dev: true`` marks a
package only development needs, in every version.

The dependency graph: each entry's ``dependencies``, ``optionalDependencies`` and
``peerDependencies`` (versions 2 and 3) or ``requires`` (version 1) name packages that
Node resolves by its ``node_modules`` lookup: the entry's own ``node_modules`` folder
first, then each enclosing one up to the top. The same walk over the keys of
``packages`` (version 1: the nesting of ``dependencies``, read as the folders it
stands for) turns each name into the installed package it loads; a name installed
nowhere (an optional dependency for another platform) gives no edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secloop.core.license import normalize_license
from secloop.core.package import Package
from secloop.scan.inventory._common import (
    JsonKeyLines,
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
    with_edges,
)

__all__ = ["NpmLockAnalyzer", "parse_npm_lock"]

_NOT_REGISTRY = ("git", "github:", "gitlab:", "bitbucket:", "file:", "http:", "https:", "link:")


def _split_alias(name: str, version: str) -> tuple[str, str]:
    if version.startswith("npm:"):
        real, _, real_version = version[4:].rpartition("@")
        return real, real_version
    if version.startswith(_NOT_REGISTRY) or ("/" in version and "#" in version):
        return name, ""
    return name, version


def _name_from_key(key: str) -> str:
    if "node_modules/" in key:
        return key.rsplit("node_modules/", 1)[1]
    return key.rsplit("/", 1)[-1]


_DECLARING = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_REQUIRING = ("dependencies", "optionalDependencies", "peerDependencies")


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    version: str
    line: int | None
    direct: bool | None = None
    license: str | None = None
    dev: bool = False
    key: str = ""  # the entry's key under ``packages`` (versions 2 and 3)
    requires: tuple[str, ...] = ()


def _declared_names(packages: dict[str, Any]) -> set[str]:
    """Names the root project and its workspace folders declare (entries not under
    ``node_modules``)."""
    names: set[str] = set()
    for key, entry in packages.items():
        if "node_modules/" in key or key.startswith("node_modules") or not isinstance(entry, dict):
            continue
        for field in _DECLARING:
            declared = entry.get(field)
            if isinstance(declared, dict):
                names.update(str(n) for n in declared)
    return names


def _license_of(entry: dict[str, Any]) -> str | None:
    declared = entry.get("license")
    if isinstance(declared, dict):  # the deprecated {"type": "MIT", "url": ...} form
        declared = declared.get("type")
    return normalize_license(declared) if isinstance(declared, str) else None


def _from_packages(packages: dict[str, Any], lines: JsonKeyLines) -> Iterator[_Entry]:
    lines.find("packages")
    declared = _declared_names(packages)
    for key, entry in packages.items():
        line = lines.find(key) if isinstance(entry, dict) else None
        if not key or not isinstance(entry, dict) or entry.get("link"):
            continue
        folder = _name_from_key(key)
        name, version = _split_alias(
            str(entry.get("name") or folder), str(entry.get("version", ""))
        )
        yield _Entry(
            name,
            version,
            line,
            direct=key == f"node_modules/{folder}" and folder in declared,
            license=_license_of(entry),
            dev=entry.get("dev") is True,
            key=key,
            requires=_required_names(entry),
        )


def _required_names(entry: dict[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for field in _REQUIRING:
        required = entry.get(field)
        if isinstance(required, dict):
            names += [str(n) for n in required]
    return tuple(names)


def _lookup(installed: dict[str, str], parent: str, name: str) -> str | None:
    """The purl Node loads for ``require(name)`` from the package at key ``parent``:
    ``parent/node_modules/name``, then each enclosing ``node_modules`` up to the top."""
    base = parent
    while True:
        candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
        if candidate in installed:
            return installed[candidate]
        if not base:
            return None
        enclosing = base.rfind("node_modules/")
        base = base[:enclosing].rstrip("/") if enclosing > 0 else ""


def _edges(entries: list[_Entry], packages: list[Package]) -> list[tuple[str, str]]:
    installed = {e.key: p.purl for e, p in zip(entries, packages, strict=True) if e.key}
    return [
        (package.purl, child)
        for entry, package in zip(entries, packages, strict=True)
        for name in entry.requires
        if (child := _lookup(installed, entry.key, name)) is not None
    ]


def _from_dependencies(
    dependencies: dict[str, Any], lines: JsonKeyLines, parent: str = ""
) -> Iterator[_Entry]:
    """Version 1: each entry's key is the ``node_modules`` path its nesting stands for
    (as the keys of versions 2 and 3), so the same lookup resolves its ``requires``."""
    for name, entry in dependencies.items():
        if not isinstance(entry, dict):
            continue
        line = lines.find(name)
        real, version = _split_alias(name, str(entry.get("version", "")))
        key = f"{parent}/node_modules/{name}" if parent else f"node_modules/{name}"
        required = entry.get("requires")
        requires = tuple(str(n) for n in required) if isinstance(required, dict) else ()
        yield _Entry(real, version, line, dev=entry.get("dev") is True, key=key, requires=requires)
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            lines.find("dependencies")
            yield from _from_dependencies(nested, lines, key)


def parse_npm_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    packages = expect_mapping(document.get("packages"), path, "'packages'")
    lines = JsonKeyLines(text)
    if packages:
        found = _from_packages(packages, lines)
    else:
        dependencies = expect_mapping(document.get("dependencies"), path, "deps")
        lines.find("dependencies")
        found = _from_dependencies(dependencies, lines)
    entries = list(found)
    made = [
        make_package(
            e.name,
            e.version,
            "npm",
            path,
            line=e.line,
            direct=e.direct,
            license=e.license,
            dev=e.dev,
        )
        for e in entries
    ]
    return dedupe(with_edges(made, _edges(entries, made)))


class NpmLockAnalyzer(LockfileAnalyzer):
    name = "npm-lock"
    file_names = frozenset({"package-lock.json", "npm-shrinkwrap.json"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_npm_lock(text, path)
