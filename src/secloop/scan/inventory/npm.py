"""npm: ``package-lock.json`` (lockfile versions 1, 2 and 3) and ``npm-shrinkwrap.json``.

Versions 2 and 3 list every installed package under ``packages``, keyed by its path
(``node_modules/a/node_modules/b``); version 1 nests ``dependencies`` trees. Version 2
carries both, and ``packages`` is read as the complete one. An alias
(``"npm:string-width@4.2.0"``) installs the real package under another folder name,
and the real name is what advisories use. A git or ``file:`` dependency has no
registry version and is kept with an empty version (nothing to match, but inventory).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
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


def _from_packages(packages: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, entry in packages.items():
        if not key or not isinstance(entry, dict) or entry.get("link"):
            continue
        name = entry.get("name") or _name_from_key(key)
        yield _split_alias(str(name), str(entry.get("version", "")))


def _from_dependencies(dependencies: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, entry in dependencies.items():
        if not isinstance(entry, dict):
            continue
        yield _split_alias(name, str(entry.get("version", "")))
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            yield from _from_dependencies(nested)


def parse_npm_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    packages = expect_mapping(document.get("packages"), path, "'packages'")
    if packages:
        found = _from_packages(packages)
    else:
        found = _from_dependencies(expect_mapping(document.get("dependencies"), path, "deps"))
    return dedupe(make_package(name, version, "npm", path) for name, version in found)


class NpmLockAnalyzer(LockfileAnalyzer):
    name = "npm-lock"
    file_names = frozenset({"package-lock.json", "npm-shrinkwrap.json"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_npm_lock(text, path)
