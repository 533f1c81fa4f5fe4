"""Yarn: ``yarn.lock``, classic (v1, its own text format) and berry (v2+, YAML).

Classic blocks start with unindented selectors (``"name@^1.0", name@~1.2:``) followed
by an indented ``version "1.2.3"``. Berry is YAML with a ``__metadata`` key; each entry
has ``version`` and a ``resolution`` (``name@npm:1.2.3``) that names the real package
even when the selector is an alias (``alias@npm:real@^1``). Each package's line is
its entry's selector line. Which packages ``package.json`` declares is not in the lock,
so ``direct`` stays unknown.

The dependency graph: an entry's ``dependencies`` and ``optionalDependencies`` give
a name and the range asked for; ``name@range`` (berry: also ``name@npm:range``) is one
of the selectors of the entry that satisfies it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_yaml,
    make_package,
    with_edges,
)

__all__ = ["YarnLockAnalyzer", "parse_yarn_lock"]

_CLASSIC_VERSION = re.compile(r'^\s+"?version"?:?\s+"?([^"\s]+)"?\s*$')
_CLASSIC_REQUIREMENT = re.compile(r'^ {4}"?(?P<name>[^"\s]+)"? "?(?P<range>[^"]*)"?\s*$')
_REQUIRING = ("dependencies:", "optionalDependencies:")


@dataclass(slots=True)
class _Entry:
    name: str
    version: str
    line: int | None
    selectors: list[str] = field(default_factory=list)
    requires: list[tuple[str, str]] = field(default_factory=list)  # (name, range)


def _plain_name(spec: str) -> str:
    """``@scope/name@anything`` -> ``@scope/name``."""
    at = spec.find("@", 1)
    return spec if at < 0 else spec[:at]


def _name_of(selector: str) -> str:
    """A classic selector's package; an alias (``a@npm:real@^1``) names its target."""
    selector = selector.strip().strip('"')
    target = selector.split("@npm:", 1)[1] if "@npm:" in selector else selector
    if not target[:1].isalpha() and not target.startswith("@"):  # "a@npm:1.0.2"
        target = selector
    return _plain_name(target)


def _selectors(header: str) -> list[str]:
    return [part.strip().strip('"') for part in header.split(",") if part.strip()]


def _classic(text: str) -> Iterator[_Entry]:
    entry: _Entry | None = None
    pending: tuple[str, int, list[str]] | None = None  # name, line, selectors
    requiring = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            header = line.rstrip().removesuffix(":")
            pending, entry = (_name_of(header.split(",")[0]), number, _selectors(header)), None
            continue
        if not line.startswith("    "):
            requiring = line.strip() in _REQUIRING
        match = _CLASSIC_VERSION.match(line)
        if match and pending and line.startswith("  ") and not line.startswith("    "):
            entry = _Entry(pending[0], match.group(1), pending[1], pending[2])
            pending = None
            yield entry
        elif requiring and entry and (requirement := _CLASSIC_REQUIREMENT.match(line)):
            entry.requires.append((requirement["name"], requirement["range"]))


def _selector_lines(text: str) -> dict[str, int]:
    """Line of each unindented YAML key (quotes off), the berry entries' selectors."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] not in ("", " ", "#") and line.rstrip().endswith(":"):
            lines.setdefault(line.rstrip()[:-1].strip("'\""), number)
    return lines


def _berry(text: str, path: str) -> Iterator[_Entry]:
    document = expect_mapping(load_yaml(text, path), path, "the document")
    lines = _selector_lines(text)
    for selector, entry in document.items():
        if selector == "__metadata" or not isinstance(entry, dict):
            continue
        resolution = str(entry.get("resolution") or selector)
        version = str(entry.get("version", ""))
        requires = [
            (str(name), str(wanted))
            for key in ("dependencies", "optionalDependencies")
            if isinstance(entry.get(key), dict)
            for name, wanted in entry[key].items()
        ]
        yield _Entry(
            _plain_name(resolution.strip('"')),
            version,
            lines.get(str(selector)),
            _selectors(str(selector)),
            requires,
        )


def parse_yarn_lock(text: str, path: str) -> tuple[Package, ...]:
    berry = any(line.startswith("__metadata:") for line in text.splitlines())
    entries = list(_berry(text, path) if berry else _classic(text))
    packages = [make_package(e.name, e.version, "npm", path, line=e.line) for e in entries]
    by_selector = {
        selector: package.purl
        for entry, package in zip(entries, packages, strict=True)
        for selector in entry.selectors
    }
    edges = [
        (package.purl, child)
        for entry, package in zip(entries, packages, strict=True)
        for name, wanted in entry.requires
        if (child := by_selector.get(f"{name}@{wanted}", by_selector.get(f"{name}@npm:{wanted}")))
    ]
    return dedupe(with_edges(packages, edges))


class YarnLockAnalyzer(LockfileAnalyzer):
    name = "yarn-lock"
    file_names = frozenset({"yarn.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_yarn_lock(text, path)
