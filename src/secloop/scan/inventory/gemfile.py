"""Ruby: ``Gemfile.lock``.

Bundler's format is indentation-based: in each ``GEM``, ``GIT`` or ``PATH`` section,
``specs:`` lists gems at four spaces as ``name (version)``; six-space lines below are
their dependencies (constraints, not installed versions): edges of the dependency
graph to the locked spec of that name. A version
may carry a platform suffix (``1.13.1-x86_64-linux``), which is not part of the
version. The ``DEPENDENCIES`` section lists the gems the ``Gemfile`` declares
(``name``, ``name (>= 1)``, ``name!`` for a git or path source): those are direct,
every other gem is transitive.
"""

from __future__ import annotations

import re

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    NameIndex,
    dedupe,
    make_package,
    with_edges,
)

__all__ = ["GemfileLockAnalyzer", "parse_gemfile_lock"]

_SPEC = re.compile(r"^ {4}(?P<name>[^ (]+) \((?P<version>[^)]+)\)$")
_SECTIONS = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})
_DEPENDENCY = re.compile(r"^ {2}(?P<name>[^ (!]+)")
_REQUIREMENT = re.compile(r"^ {6}(?P<name>[^ (!]+)")
_PLATFORM = re.compile(r"-(?:x86|x64|arm|aarch|universal|java|mingw|mswin|darwin|linux).*$")


_Spec = tuple[str, str, int, list[str]]


def _specs(text: str) -> tuple[list[_Spec], set[str] | None]:
    """(name, version, line, required gem names) of every spec, and the declared gem
    names (None without a ``DEPENDENCIES`` section)."""
    specs: list[_Spec] = []
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
            specs.append((match["name"], _PLATFORM.sub("", match["version"]), number, []))
        elif in_specs and specs and (requirement := _REQUIREMENT.match(line)):
            specs[-1][3].append(requirement["name"])
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
        for name, version, number, _ in specs
    ]
    index = NameIndex(packages)
    edges = [
        (package.purl, child)
        for package, (*_, requires) in zip(packages, specs, strict=True)
        for name in requires
        for child in index.resolve(name)
    ]
    return dedupe(with_edges(packages, edges))


class GemfileLockAnalyzer(LockfileAnalyzer):
    name = "gemfile-lock"
    file_names = frozenset({"Gemfile.lock", "gems.locked"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_gemfile_lock(text, path)
