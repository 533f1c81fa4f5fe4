"""pip requirements files: ``requirements*.txt``.

Only exact pins (``name==1.2.3``, ``===``) become packages: a range such as
``>=1.0`` names no installed version and guessing one would invent or hide
vulnerabilities. Handled as pip does: ``\\`` line continuations (before comments are
stripped), ``#`` comments, per-requirement options (``--hash``), extras and environment
markers (kept: the target environment is unknown). ``-r``/``-c`` includes and other
options are not followed here (each file is analysed on its own when the walk reaches it).
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement

from secloop.core.package import Package
from secloop.scan.interface import FileEntry
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package, pypi_name

__all__ = ["RequirementsAnalyzer", "parse_requirements"]

_FILE_NAME = re.compile(r"^(?:.*[-_.])?requirements(?:[-_.].*)?\.txt$", re.IGNORECASE)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTION = re.compile(r"\s--?[a-zA-Z][-\w]*(?:[ =](?:\"[^\"]*\"|'[^']*'|\S+))?")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.!+_-]*$")


def _logical_lines(text: str) -> list[str]:
    """Join ``\\`` continuations first, then strip comments (pip's order)."""
    joined: list[str] = []
    buffer = ""
    for raw in text.splitlines():
        if raw.endswith("\\") and not _COMMENT.match(raw.strip()):
            buffer += raw[:-1]
            continue
        joined.append(buffer + raw)
        buffer = ""
    if buffer:
        joined.append(buffer)
    return [_COMMENT.sub("", line).strip() for line in joined]


def _pinned(line: str) -> tuple[str, str] | None:
    """(name, version) of an exact pin, else None (options, URLs, paths, ranges)."""
    if not line or line.startswith("-"):
        return None
    try:
        requirement = Requirement(_OPTION.sub("", " " + line).strip())
    except InvalidRequirement:
        return None
    specifiers = list(requirement.specifier)
    if requirement.url or len(specifiers) != 1:
        return None
    spec = specifiers[0]
    if spec.operator not in ("==", "===") or "*" in spec.version:
        return None
    if not _VERSION.match(spec.version):
        return None
    return pypi_name(requirement.name), spec.version


def parse_requirements(text: str, path: str) -> tuple[Package, ...]:
    pins = (_pinned(line) for line in _logical_lines(text))
    return dedupe(make_package(n, v, "PyPI", path) for n, v in (p for p in pins if p))


class RequirementsAnalyzer(LockfileAnalyzer):
    name = "requirements"

    def applies_to(self, entry: FileEntry) -> bool:
        return bool(_FILE_NAME.match(entry.name))

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_requirements(text, path)
