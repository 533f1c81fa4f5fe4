"""Hex: Elixir's ``mix.lock``.

The lock is an Elixir map literal, one dependency a line::

    "plug": {:hex, :plug, "1.11.1", "<checksum>", [:mix], [...deps...], "hexpm", "<sha>"},
    "foo": {:git, "https://github.com/org/foo.git", "<commit>", [branch: "main"]},

A ``:hex`` entry names the Hex package (which may differ from the application key) and
its version. A ``:git`` or ``:path`` dependency has no Hex release: it is kept in the
inventory with an empty version, as git dependencies are elsewhere (nothing to match
against Hex advisories). The lock does not tell direct from transitive.
"""

from __future__ import annotations

import re

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package

__all__ = ["MixLockAnalyzer", "parse_mix_lock"]

ECOSYSTEM = "Hex"
_ENTRY = re.compile(
    r'^\s*"(?P<key>[^"]+)"\s*:\s*\{\s*:(?P<source>\w+)\s*,\s*'
    r'(?::(?P<package>[\w.-]+|"[^"]+")\s*,\s*"(?P<version>[^"]*)")?'
)


def parse_mix_lock(text: str, path: str) -> tuple[Package, ...]:
    stripped = text.strip()
    if stripped and not stripped.startswith("%{"):
        raise ScanError(f"{path}: could not extract from file: not a mix.lock map (%{{...}})")
    packages = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ENTRY.match(line)
        if match is None:
            continue
        if match["source"] == "hex" and match["package"]:
            name, version = match["package"].strip('"'), match["version"]
        else:
            name, version = match["key"], ""
        packages.append(make_package(name, version, ECOSYSTEM, path, line=number))
    return dedupe(packages)


class MixLockAnalyzer(LockfileAnalyzer):
    name = "mix-lock"
    file_names = frozenset({"mix.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_mix_lock(text, path)
