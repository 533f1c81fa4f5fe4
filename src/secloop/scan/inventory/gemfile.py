"""Ruby: ``Gemfile.lock``.

Bundler's format is indentation-based: in each ``GEM``, ``GIT`` or ``PATH`` section,
``specs:`` lists gems at four spaces as ``name (version)``; six-space lines below are
their dependencies (constraints, not installed versions) and are skipped. A version
may carry a platform suffix (``1.13.1-x86_64-linux``), which is not part of the
version. The ``DEPENDENCIES`` section lists the gems the ``Gemfile`` declares
(``name``, ``name (>= 1)``, ``name!`` for a git or path source): those are direct,
every other gem is transitive.
"""

from __future__ import annotations

import re

from secloop.core.package import Package
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package

__all__ = ["GemfileLockAnalyzer", "parse_gemfile_lock"]

_SPEC = re.compile(r"^ {4}(?P<name>[^ (]+) \((?P<version>[^)]+)\)$")
_SECTIONS = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})
_DEPENDENCY = re.compile(r"^ {2}(?P<name>[^ (!]+)")
_PLATFORM = re.compile(r"-(?:x86|x64|arm|aarch|universal|java|mingw|mswin|darwin|linux).*$")


def _specs(text: str) -> tuple[list[tuple[str, str, int]], set[str] | None]:
    """(name, version, line) of every spec, and the declared gem names (None without a
    ``DEPENDENCIES`` section)."""
    specs: list[tuple[str, str, int]] = []
    declared: set[str] | None = None
    section = ""
    in_specs = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line and not line.startswith(" "):
            section, in_specs = line.strip(), False
            if section == "DEPENDENCIES":
                declared = set()
            continue
        if line.strip() == "specs:":
            in_specs = section in _SECTIONS
            continue
        if section == "DEPENDENCIES" and declared is not None:
            if dependency := _DEPENDENCY.match(line):
                declared.add(dependency["name"])
            continue
        match = _SPEC.match(line) if in_specs else None
        if match:
            specs.append((match["name"], _PLATFORM.sub("", match["version"]), number))
    return specs, declared


def parse_gemfile_lock(text: str, path: str) -> tuple[Package, ...]:
    specs, declared = _specs(text)
    packages = [
        make_package(
            name,
            version,
            "RubyGems",
            path,
            line=number,
            direct=None if declared is None else name in declared,
        )
        for name, version, number in specs
    ]
    return dedupe(packages)


class GemfileLockAnalyzer(LockfileAnalyzer):
    name = "gemfile-lock"
    file_names = frozenset({"Gemfile.lock", "gems.locked"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_gemfile_lock(text, path)
