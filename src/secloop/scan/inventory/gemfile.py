"""Ruby: ``Gemfile.lock``.

Bundler's format is indentation-based: in each ``GEM``, ``GIT`` or ``PATH`` section,
``specs:`` lists gems at four spaces as ``name (version)``; six-space lines below are
their dependencies (constraints, not installed versions) and are skipped. A version
may carry a platform suffix (``1.13.1-x86_64-linux``), which is not part of the
version.
"""

from __future__ import annotations

import re

from secloop.core.package import Package
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package

__all__ = ["GemfileLockAnalyzer", "parse_gemfile_lock"]

_SPEC = re.compile(r"^ {4}(?P<name>[^ (]+) \((?P<version>[^)]+)\)$")
_SECTIONS = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})
_PLATFORM = re.compile(r"-(?:x86|x64|arm|aarch|universal|java|mingw|mswin|darwin|linux).*$")


def parse_gemfile_lock(text: str, path: str) -> tuple[Package, ...]:
    packages: list[Package] = []
    section = ""
    in_specs = False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section, in_specs = line.strip(), False
            continue
        if line.strip() == "specs:":
            in_specs = section in _SECTIONS
            continue
        match = _SPEC.match(line) if in_specs else None
        if match:
            version = _PLATFORM.sub("", match["version"])
            packages.append(make_package(match["name"], version, "RubyGems", path))
    return dedupe(packages)


class GemfileLockAnalyzer(LockfileAnalyzer):
    name = "gemfile-lock"
    file_names = frozenset({"Gemfile.lock", "gems.locked"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_gemfile_lock(text, path)
