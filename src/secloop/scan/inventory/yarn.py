"""Yarn: ``yarn.lock``, classic (v1, its own text format) and berry (v2+, YAML).

Classic blocks start with unindented selectors (``"name@^1.0", name@~1.2:``) followed
by an indented ``version "1.2.3"``. Berry is YAML with a ``__metadata`` key; each entry
has ``version`` and a ``resolution`` (``name@npm:1.2.3``) that names the real package
even when the selector is an alias (``alias@npm:real@^1``). Each package's line is
its entry's selector line. Which packages ``package.json`` declares is not in the lock,
so ``direct`` stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_yaml,
    make_package,
)

__all__ = ["YarnLockAnalyzer", "parse_yarn_lock"]

_CLASSIC_VERSION = re.compile(r'^\s+"?version"?:?\s+"?([^"\s]+)"?\s*$')


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


def _classic(text: str) -> Iterator[tuple[str, str, int | None]]:
    name = ""
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            name, start = _name_of(line.rstrip(":").split(",")[0]), number
            continue
        match = _CLASSIC_VERSION.match(line)
        if match and name and line.startswith("  ") and not line.startswith("    "):
            yield name, match.group(1), start
            name = ""


def _selector_lines(text: str) -> dict[str, int]:
    """Line of each unindented YAML key (quotes off), the berry entries' selectors."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] not in ("", " ", "#") and line.rstrip().endswith(":"):
            lines.setdefault(line.rstrip()[:-1].strip("'\""), number)
    return lines


def _berry(text: str, path: str) -> Iterator[tuple[str, str, int | None]]:
    document = expect_mapping(load_yaml(text, path), path, "the document")
    lines = _selector_lines(text)
    for selector, entry in document.items():
        if selector == "__metadata" or not isinstance(entry, dict):
            continue
        resolution = str(entry.get("resolution") or selector)
        version = str(entry.get("version", ""))
        yield _plain_name(resolution.strip('"')), version, lines.get(str(selector))


def parse_yarn_lock(text: str, path: str) -> tuple[Package, ...]:
    berry = any(line.startswith("__metadata:") for line in text.splitlines())
    found = _berry(text, path) if berry else _classic(text)
    return dedupe(
        make_package(name, version, "npm", path, line=line) for name, version, line in found
    )


class YarnLockAnalyzer(LockfileAnalyzer):
    name = "yarn-lock"
    file_names = frozenset({"yarn.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_yarn_lock(text, path)
