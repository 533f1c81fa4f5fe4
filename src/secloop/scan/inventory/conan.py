"""ConanCenter: ``conan.lock`` of Conan 1 (graph locks) and Conan 2 (flat locks).

A Conan 2 lock lists references ``name/version[@user/channel][#revision%timestamp]``
under ``requires`` (host packages) and ``build_requires`` (tools used only to build,
marked ``dev``); ``python_requires`` are recipe code, not packages. A Conan 1 lock
holds ``graph_lock.nodes``: each node's ``ref`` (or, in lock formats before 0.4, the
``pref``) is a package, except the root node (the consumer's own conanfile, with a
``path``); the root's ``requires`` are the direct dependencies, and a node whose
``context`` is ``build`` is a build tool. A reference without a name (``1.2.3``)
names nothing to look up and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    TextOffsets,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
)

__all__ = ["ConanLockAnalyzer", "parse_conan_lock"]

ECOSYSTEM = "ConanCenter"


@dataclass(frozen=True, slots=True)
class _Reference:
    raw: str
    name: str
    version: str


def _reference(raw: str) -> _Reference | None:
    """``zlib/1.2.11@user/channel#rev%123:package_id#prev`` -> zlib 1.2.11."""
    recipe = raw.split(":", 1)[0].split("#", 1)[0].split("@", 1)[0]
    name, slash, version = recipe.partition("/")
    if not slash or not name or not version:
        return None
    return _Reference(raw, name, version)


class _Lines:
    """The line where each reference string is written, searched forward."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offsets = TextOffsets(text)
        self._cursor = 0

    def find(self, raw: str) -> int | None:
        needle = f'"{raw}"'
        offset = self._text.find(needle, self._cursor)
        if offset < 0:  # listed before: Conan 1 nodes repeat references
            offset = self._text.find(needle)
        if offset < 0:  # written with JSON escapes ("zlib\\/1.3"): no line rather than a wrong one
            return None
        self._cursor = offset + 1
        return self._offsets.line_of(offset)


def _v2(document: dict[str, Any]) -> Iterator[tuple[_Reference, bool | None, bool]]:
    for field, dev in (("requires", False), ("build_requires", True)):
        entries = document.get(field) or []
        for raw in entries if isinstance(entries, list) else []:
            reference = _reference(str(raw))
            if reference is not None:
                yield reference, None, dev


def _v1(nodes: dict[str, Any]) -> Iterator[tuple[_Reference, bool | None, bool]]:
    roots = [n for n in nodes.values() if isinstance(n, dict) and "path" in n]
    direct_ids = {str(r) for root in roots for r in _requires(root)} if roots else None
    for node_id, node in nodes.items():
        if not isinstance(node, dict) or "path" in node:
            continue
        raw = node.get("ref") or node.get("pref")
        reference = _reference(str(raw)) if raw else None
        if reference is not None:
            direct = None if direct_ids is None else node_id in direct_ids
            yield reference, direct, node.get("context") == "build"


def _requires(node: dict[str, Any]) -> list[str]:
    """Node ids a node requires: a list (format 0.4) or {reference: id} (before)."""
    requires = node.get("requires") or []
    if isinstance(requires, dict):
        return [str(v) for v in requires.values()]
    return [str(r) for r in requires] if isinstance(requires, list) else []


def parse_conan_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    lines = _Lines(text)
    graph = expect_mapping(document.get("graph_lock"), path, "'graph_lock'")
    if graph:
        found = _v1(expect_mapping(graph.get("nodes"), path, "'graph_lock.nodes'"))
    else:
        found = _v2(document)
    return dedupe(
        make_package(
            reference.name,
            reference.version,
            ECOSYSTEM,
            path,
            line=lines.find(reference.raw),
            direct=direct,
            dev=dev,
        )
        for reference, direct, dev in found
    )


class ConanLockAnalyzer(LockfileAnalyzer):
    name = "conan-lock"
    file_names = frozenset({"conan.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_conan_lock(text, path)
