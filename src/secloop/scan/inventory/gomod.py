"""Go: ``go.mod``.

``require`` lines give module versions (the ``v`` dropped, as OSV's Go records write
them); ``replace`` directives substitute another module (for every version, or for
one) and a local path replacement has no version. The ``go`` directive names the
toolchain, reported as the ``stdlib`` module that Go advisories use. A requirement
marked ``// indirect`` is transitive, every other one direct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package

__all__ = ["GoModAnalyzer", "parse_go_mod"]

_DIRECTIVE = re.compile(r"^(module|go|toolchain|require|replace|exclude|retract|godebug)\b")
_GO = re.compile(r"^go\s+(\d+(?:\.\d+)*)")

_INDIRECT = re.compile(r"//\s*indirect\b")
Module = tuple[str, str]  # path, version ("" for any / none)


@dataclass(frozen=True, slots=True)
class _Statement:
    directive: str
    arguments: str
    line: int
    indirect: bool


def _statements(text: str, path: str) -> list[_Statement]:
    """Every directive with its arguments and line, ``( ... )`` blocks unrolled."""
    statements: list[_Statement] = []
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line, _, comment = raw.partition("//")
        line = line.strip()
        if not line:
            continue
        indirect = bool(_INDIRECT.match("//" + comment))
        if block is not None:
            if line == ")":
                block = None
            else:
                statements.append(_Statement(block, line, number, indirect))
            continue
        match = _DIRECTIVE.match(line)
        if match is None:
            raise ScanError(f"{path}:{number}: could not extract from file: unknown directive")
        rest = line[match.end() :].strip()
        if rest == "(":
            block = match.group(1)
        else:
            statements.append(_Statement(match.group(1), rest, number, indirect))
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
    requires: list[_Statement] = []
    replaces: list[tuple[Module, Module]] = []
    go: _Statement | None = None
    for statement in _statements(text, path):
        if statement.directive == "go":
            go = statement
        elif statement.directive == "require":
            requires.append(statement)
        elif statement.directive == "replace" and "=>" in statement.arguments:
            old, new = statement.arguments.split("=>", 1)
            replaces.append((_module(old.split()), _module(new.split())))
    required = [_module(r.arguments.split()) for r in requires]
    packages = [
        make_package(
            name,
            version.removeprefix("v"),
            "Go",
            path,
            line=require.line,
            direct=not require.indirect,
        )
        for (name, version), require in zip(
            _apply_replaces(required, replaces), requires, strict=True
        )
    ]
    if go is not None and go.arguments:
        packages.append(make_package("stdlib", go.arguments, "Go", path, line=go.line))
    return dedupe(packages)


class GoModAnalyzer(LockfileAnalyzer):
    name = "go-mod"
    file_names = frozenset({"go.mod"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_go_mod(text, path)
