"""Go: ``go.mod``.

``require`` lines give module versions (the ``v`` dropped, as OSV's Go records write
them); ``replace`` directives substitute another module (for every version, or for
one) and a local path replacement has no version. The ``go`` directive names the
toolchain, reported as the ``stdlib`` module that Go advisories use.
"""

from __future__ import annotations

import re

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package

__all__ = ["GoModAnalyzer", "parse_go_mod"]

_DIRECTIVE = re.compile(r"^(module|go|toolchain|require|replace|exclude|retract|godebug)\b")
_GO = re.compile(r"^go\s+(\d+(?:\.\d+)*)")

Module = tuple[str, str]  # path, version ("" for any / none)


def _statements(text: str, path: str) -> list[tuple[str, str]]:
    """(directive, arguments) for every line, with ``( ... )`` blocks unrolled."""
    statements: list[tuple[str, str]] = []
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
            else:
                statements.append((block, line))
            continue
        match = _DIRECTIVE.match(line)
        if match is None:
            raise ScanError(f"{path}:{number}: could not extract from file: unknown directive")
        rest = line[match.end() :].strip()
        if rest == "(":
            block = match.group(1)
        else:
            statements.append((match.group(1), rest))
    return statements


def _module(words: list[str]) -> Module:
    return words[0].strip('"'), words[1] if len(words) > 1 else ""


def _apply_replaces(required: list[Module], replaces: list[tuple[Module, Module]]) -> list[Module]:
    result: list[Module] = []
    for module in required:
        replacement = module
        for (old_path, old_version), new in replaces:
            if old_path == module[0] and old_version in ("", module[1]):
                replacement = new
                break
        result.append(replacement)
    return result


def parse_go_mod(text: str, path: str) -> tuple[Package, ...]:
    required: list[Module] = []
    replaces: list[tuple[Module, Module]] = []
    go_version = ""
    for directive, arguments in _statements(text, path):
        if directive == "go":
            go_version = arguments
        elif directive == "require":
            required.append(_module(arguments.split()))
        elif directive == "replace" and "=>" in arguments:
            old, new = arguments.split("=>", 1)
            replaces.append((_module(old.split()), _module(new.split())))
    packages = [
        make_package(name, version.removeprefix("v"), "Go", path)
        for name, version in _apply_replaces(required, replaces)
    ]
    if go_version:
        packages.append(make_package("stdlib", go_version, "Go", path))
    return dedupe(packages)


class GoModAnalyzer(LockfileAnalyzer):
    name = "go-mod"
    file_names = frozenset({"go.mod"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_go_mod(text, path)
