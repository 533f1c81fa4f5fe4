"""Gradle: dependency lock files and dependency verification metadata.

``gradle.lockfile`` and ``buildscript-gradle.lockfile`` hold one
``group:artifact:version=configuration,...`` line per resolved module, which Gradle
writes itself; comments (``#``) and the ``empty=`` line list no module. A module is
``dev`` when every configuration that resolves it is a test one. Lines that are not a
module (stray text, as from a hand edit) name nothing to look up and are skipped, as
osv-scanner skips them. The lock does not tell direct from transitive.

``gradle/verification-metadata.xml`` lists each verified ``<component group= name=
version=>``; the same module in several versions is several packages.
"""

from __future__ import annotations

import re

from secloop.core.package import Package
from secloop.scan.inventory._common import LockfileAnalyzer, dedupe, make_package
from secloop.scan.inventory._xml import parse_xml

__all__ = [
    "GradleLockAnalyzer",
    "GradleVerificationMetadataAnalyzer",
    "parse_gradle_lock",
    "parse_gradle_verification_metadata",
]

ECOSYSTEM = "Maven"
_MODULE = re.compile(
    r"^(?P<group>[^\s:=#]+):(?P<artifact>[^\s:=]+):(?P<version>[^\s:=]+)=(?P<configurations>\S*)$"
)


def _test_only(configurations: str) -> bool:
    names = [c for c in configurations.split(",") if c]
    return bool(names) and all(c.startswith("test") or "Test" in c for c in names)


def parse_gradle_lock(text: str, path: str) -> tuple[Package, ...]:
    packages = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MODULE.match(line.strip())
        if match is None:
            continue
        packages.append(
            make_package(
                f"{match['group']}:{match['artifact']}",
                match["version"],
                ECOSYSTEM,
                path,
                line=number,
                dev=_test_only(match["configurations"]),
            )
        )
    return dedupe(packages)


def parse_gradle_verification_metadata(text: str, path: str) -> tuple[Package, ...]:
    root = parse_xml(text, path)
    components = root.child("components")
    if components is None:
        return ()
    packages = []
    for node in components.children_named("component"):
        group, name = node.attributes.get("group"), node.attributes.get("name")
        version = node.attributes.get("version")
        if group and name and version:
            packages.append(
                make_package(f"{group}:{name}", version, ECOSYSTEM, path, line=node.line)
            )
    return dedupe(packages)


class GradleLockAnalyzer(LockfileAnalyzer):
    name = "gradle-lock"
    file_names = frozenset({"gradle.lockfile", "buildscript-gradle.lockfile"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_gradle_lock(text, path)


class GradleVerificationMetadataAnalyzer(LockfileAnalyzer):
    name = "gradle-verification-metadata"
    file_names = frozenset({"verification-metadata.xml"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_gradle_verification_metadata(text, path)
