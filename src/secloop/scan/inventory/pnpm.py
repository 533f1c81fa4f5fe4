"""pnpm: ``pnpm-lock.yaml`` (lockfile versions 5 to 9).

Package keys changed shape over versions: v5 ``/name/1.2.3_peer``, v6
``/name@1.2.3(peer)``, v9 ``name@1.2.3(peer)``; a registry host may prefix the key
(``registry.npmjs.org/foo/1.1.0``). An entry's own ``name``/``version`` fields win over
the key (git and tarball dependencies are keyed by URL). Keys that do not end in a
version (``github.com/kevva/is-positive``) name no release and are skipped; a v5 key
without any ``/`` is not a package path at all and fails the file.

What the project declares is in ``importers`` (one per workspace folder; a lock of a
single project has the same maps at the top level): a package resolved there is
direct, every other one transitive. ``dev: true`` (versions 5 to 8) marks a package
only development needs.

The dependency graph: each entry of ``packages`` (versions 5 to 8) or ``snapshots``
(version 9) maps its ``dependencies`` and ``optionalDependencies`` to the resolved
version (``1.2.3``, ``1.2.3(peer)``, ``1.2.3_peer``), or, for an alias, to the real
package's key (``string-width@4.2.3``, ``/string-width/4.2.3``); each resolves to
the locked package of that name and version.
"""

from __future__ import annotations

import re
from typing import Any

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    NameIndex,
    dedupe,
    expect_mapping,
    load_yaml,
    make_package,
    with_edges,
)

__all__ = ["PnpmLockAnalyzer", "parse_pnpm_lock"]

_PEERS = re.compile(r"\(.*$")
_DECLARING = ("dependencies", "devDependencies", "optionalDependencies")
_REQUIRING = ("dependencies", "optionalDependencies")


def _lockfile_version(document: dict[str, Any]) -> float:
    try:
        return float(str(document.get("lockfileVersion", "5")).split(".", 1)[0])
    except ValueError:
        return 5.0


def _split_v6(key: str) -> tuple[str, str]:
    at = key.find("@", 1)
    return (key, "") if at < 0 else (key[:at], key[at + 1 :])


def _split_v5(key: str, path: str) -> tuple[str, str]:
    parts = key.split("/")
    if len(parts) < 2:
        raise ScanError(f"{path}: invalid package path {key!r}")
    if "." in parts[0] and not parts[0].startswith("@"):
        parts = parts[1:]  # a registry host
    return "/".join(parts[:-1]), parts[-1].split("_", 1)[0]


def _name_version(key: str, entry: dict[str, Any], modern: bool, path: str) -> tuple[str, str]:
    bare = _PEERS.sub("", key).lstrip("/")
    if bare.startswith(("file:", "link:")):  # a local folder: only its own fields count
        return str(entry.get("name", "")), str(entry.get("version", ""))
    name, version = _split_v6(bare) if modern and "@" in bare[1:] else _split_v5(bare, path)
    return str(entry.get("name") or name), str(entry.get("version") or version)


def _resolved(value: object) -> str:
    """The version an importer resolved: ``1.2.3`` from ``1.2.3(peer)``, ``1.2.3_peer``
    or ``{specifier: ^1, version: 1.2.3}``."""
    if isinstance(value, dict):
        value = value.get("version", "")
    return _PEERS.sub("", str(value)).split("_", 1)[0]


def _declared(document: dict[str, Any], path: str) -> set[tuple[str, str]] | None:
    """(name, version) of every package an importer declares; None when the lock has
    neither importers nor top-level dependency maps."""
    importers = expect_mapping(document.get("importers"), path, "'importers'")
    projects = [p for p in importers.values() if isinstance(p, dict)] or [document]
    declared: set[tuple[str, str]] = set()
    found = False
    for project in projects:
        for field in _DECLARING:
            dependencies = project.get(field)
            if isinstance(dependencies, dict):
                found = True
                declared.update((str(n), _resolved(v)) for n, v in dependencies.items())
    return declared if found else None


def _key_lines(text: str) -> dict[str, int]:
    """Line of each key directly under ``packages:`` (two-space indented, quotes off)."""
    lines: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line and not line[0].isspace():
            inside = line.rstrip() == "packages:"
        elif inside and line.startswith("  ") and line[2:3] not in (" ", "") and ":" in line:
            key = line.strip()
            key = key[:-1] if key.endswith(":") else key.rsplit(":", 1)[0]
            lines.setdefault(key.strip("'\""), number)
    return lines


def parse_pnpm_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_yaml(text, path), path, "the document")
    modern = _lockfile_version(document) >= 6
    declared = _declared(document, path)
    lines = _key_lines(text)
    packages: list[Package] = []
    for key, entry in expect_mapping(document.get("packages"), path, "'packages'").items():
        fields = entry if isinstance(entry, dict) else {}
        name, version = _name_version(str(key), fields, modern, path)
        if name and version[:1].isdigit():
            packages.append(
                make_package(
                    name,
                    version,
                    "npm",
                    path,
                    line=lines.get(str(key)),
                    direct=None if declared is None else (name, version) in declared,
                    dev=fields.get("dev") is True,
                )
            )
    return dedupe(with_edges(packages, _edges(document, NameIndex(packages), modern, path)))


def _edges(
    document: dict[str, Any], index: NameIndex, modern: bool, path: str
) -> list[tuple[str, str]]:
    edges: list[tuple[str, str]] = []
    for section in ("packages", "snapshots"):
        for key, entry in expect_mapping(document.get(section), path, repr(section)).items():
            if not isinstance(entry, dict):
                continue
            own = {k: v for k, v in entry.items() if k in ("name", "version")}
            parents = index.resolve(*_name_version(str(key), own, modern, path))
            for field in _REQUIRING:
                required = entry.get(field)
                if not isinstance(required, dict):
                    continue
                for name, value in required.items():
                    children = index.resolve(*_child(str(name), value, modern, path))
                    edges += [(parent, child) for parent in parents for child in children]
    return edges


def _child(name: str, value: object, modern: bool, path: str) -> tuple[str, str]:
    """(name, version) a dependency map entry points at: the version itself, or the
    real package's key for an alias."""
    version = _resolved(value)
    if version[:1].isdigit():
        return name, version
    try:
        return _name_version(str(value), {}, modern, path)
    except ScanError:  # neither a version nor a package key (link:, file:)
        return name, ""


class PnpmLockAnalyzer(LockfileAnalyzer):
    name = "pnpm-lock"
    file_names = frozenset({"pnpm-lock.yaml"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pnpm_lock(text, path)
