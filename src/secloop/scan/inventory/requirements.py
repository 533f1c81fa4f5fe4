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

__all__ = ["RequirementsAnalyzer", "logical_lines", "parse_requirements"]

_FILE_NAME = re.compile(r"^(?:.*[-_.])?requirements(?:[-_.].*)?\.txt$", re.IGNORECASE)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTION = re.compile(r"\s--?[a-zA-Z][-\w]*(?:[ =](?:\"[^\"]*\"|'[^']*'|\S+))?")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.!+_-]*$")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line, text) of each logical line: ``\\`` continuations joined
    first, then comments stripped (pip's order)."""
    joined: list[tuple[int, str]] = []
    buffer: str | None = None  # None: the previous line did not continue
    start = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        if buffer is None:
            start, buffer = number, ""
        if raw.endswith("\\") and not _COMMENT.match(raw.strip()):
            buffer += raw[:-1]
            continue
        joined.append((start, buffer + raw))
        buffer = None
    if buffer:
        joined.append((start, buffer))
    return [(number, _COMMENT.sub("", line).strip()) for number, line in joined]


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
    """Every exact pin, with its line; a requirements file lists what the project
    declares, so every package is direct."""
    packages = []
    for number, line in logical_lines(text):
        pin = _pinned(line)
        if pin is not None:
            packages.append(make_package(*pin, "PyPI", path, line=number, direct=True))
    return dedupe(packages)


class RequirementsAnalyzer(LockfileAnalyzer):
    name = "requirements"

    def applies_to(self, entry: FileEntry) -> bool:
        return bool(_FILE_NAME.match(entry.name))

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_requirements(text, path)
