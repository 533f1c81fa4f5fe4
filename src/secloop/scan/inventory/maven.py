"""Maven: ``pom.xml`` manifests and saved ``mvn dependency:tree`` output.

**pom.xml.** The project's ``<dependencies>`` are direct packages named
``groupId:artifactId`` (OSV's Maven names). Values are interpolated from the POM's own
``<properties>`` (which may refer to each other) and ``${project.version}``,
``${project.groupId}``, ``${project.artifactId}`` (falling back to ``<parent>``'s, as
Maven does). A dependency without a version takes the one ``<dependencyManagement>``
gives it; managed entries no dependency uses are packages too (they pin the versions
of transitive dependencies), with ``direct`` unknown. Scope ``test`` and ``provided``
mark a package ``dev``: neither is packaged with the built artifact.

What one file cannot tell is not guessed: the parent POM, imported BOMs and
``<profiles>`` are **not resolved** (that needs the repository and the build), so a
dependency whose version comes from them, a ``${property}`` defined elsewhere, or a
version range (``[1.0,2.0)``) yields no package but an :class:`Unpinned` entry, which
the ``unpinned-deps`` scanner reports. ``[1.2.3]`` (a hard exact requirement) is 1.2.3.

**Dependency tree** (``maven-dependency-tree.txt`` / ``dependency-tree.txt``): the
text ``mvn dependency:tree`` prints, with or without the ``[INFO]`` prefixes that the
console adds and ``-DoutputFile`` leaves out. Each line ``+- g:a:type[:classifier]:
version:scope`` is one resolved package; depth 1 is direct; root lines (depth 0) are
the projects themselves and verbose entries in parentheses (``omitted for conflict``)
were not installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import LockfileAnalyzer, Unpinned, dedupe, make_package
from secloop.scan.inventory._xml import XmlNode, parse_xml

__all__ = [
    "MavenDependencyTreeAnalyzer",
    "PomAnalyzer",
    "parse_maven_dependency_tree",
    "parse_pom",
    "unpinned_in_pom",
]

ECOSYSTEM = "Maven"
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MAX_INTERPOLATION_ROUNDS = 10  # properties referring to properties; also stops cycles
_NOT_SHIPPED = frozenset({"test", "provided"})


@dataclass(frozen=True, slots=True)
class _Unresolved:
    """A value naming a property this POM does not define (or defines in a cycle)."""

    name: str


def _interpolate(value: str, properties: dict[str, str]) -> str | _Unresolved:
    for _ in range(_MAX_INTERPOLATION_ROUNDS):
        missing = [m for m in _PROPERTY.findall(value) if m not in properties]
        if missing:
            return _Unresolved(missing[0])
        expanded = _PROPERTY.sub(lambda m: properties[m.group(1)], value)
        if expanded == value:
            return value
        value = expanded
    return _Unresolved(_PROPERTY.findall(value)[0])


def _properties(project: XmlNode) -> dict[str, str]:
    parent = project.child("parent")

    def own_or_parent(tag: str) -> str | None:
        own = project.child_text(tag)
        return own if own else (parent.child_text(tag) if parent is not None else None)

    builtins = {
        "project.version": own_or_parent("version"),
        "project.groupId": own_or_parent("groupId"),
        "project.artifactId": project.child_text("artifactId"),
        "project.parent.version": parent.child_text("version") if parent is not None else None,
        "project.parent.groupId": parent.child_text("groupId") if parent is not None else None,
    }
    found = {key: value for key, value in builtins.items() if value}
    declared = project.child("properties")
    if declared is not None:
        found.update({node.tag: node.text.strip() for node in declared.children})
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class _Declared:
    """One ``<dependency>`` element, its coordinates interpolated."""

    name: str | _Unresolved
    version: str | _Unresolved | None  # None: no <version> element
    scope: str | None
    line: int


def _declared(parent: XmlNode | None, properties: dict[str, str], path: str) -> Iterator[_Declared]:
    holder = parent.child("dependencies") if parent is not None else None
    if holder is None:
        return
    for node in holder.children_named("dependency"):
        group, artifact = node.child_text("groupId"), node.child_text("artifactId")
        if not group or not artifact:
            raise ScanError(
                f"{path}: could not extract from file: the <dependency> at line {node.line} "
                "has no groupId or artifactId"
            )
        coordinates = [_interpolate(part, properties) for part in (group, artifact)]
        unresolved = next((c for c in coordinates if isinstance(c, _Unresolved)), None)
        version = node.child_text("version")
        yield _Declared(
            name=unresolved or ":".join(str(c) for c in coordinates),
            version=_interpolate(version, properties) if version else None,
            scope=node.child_text("scope"),
            line=node.line,
        )


def _exact(requirement: str) -> str | None:
    """The version a Maven requirement pins: ``1.2`` (a soft requirement, which Maven
    uses) or ``[1.2]``; None for a range such as ``[1.0,2.0)`` or ``(,1.0]``."""
    if requirement.startswith(("[", "(")):
        inner = requirement[1:-1].strip()
        if requirement.startswith("[") and requirement.endswith("]") and "," not in inner:
            return inner or None
        return None
    return requirement if "," not in requirement else None


@dataclass(frozen=True, slots=True)
class _Pom:
    packages: tuple[Package, ...]
    unpinned: tuple[Unpinned, ...]


def _unpinned(
    name: str, requirement: str, line: int, reason: str, *, undetermined: bool = True
) -> Unpinned:
    return Unpinned(
        name=name,
        ecosystem=ECOSYSTEM,
        requirement=requirement,
        line=line,
        reason=reason,
        undetermined=undetermined,
    )


class _PomReader:
    """Turns the declared dependencies of one POM into packages and unpinned entries."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.packages: list[Package] = []
        self.unpinned: list[Unpinned] = []

    def add(
        self,
        entry: _Declared,
        version: str | _Unresolved | None,
        *,
        direct: bool | None,
        scope: str | None,
    ) -> None:
        if isinstance(entry.name, _Unresolved):
            name = f"${{{entry.name.name}}}"
            reason = f"its name uses the property {name}, which this file does not resolve"
            self._unknown(name, "", entry.line, reason)
        elif version is None:
            self._unknown(
                entry.name,
                "",
                entry.line,
                "no version in this file (managed by a parent POM or an imported BOM, "
                "which are not resolved)",
            )
        elif isinstance(version, _Unresolved):
            written = f"${{{version.name}}}"
            reason = f"its version is the property {written}, which this file does not resolve"
            self._unknown(entry.name, written, entry.line, reason)
        elif (exact := _exact(version)) is None:
            self.unpinned.append(
                _unpinned(entry.name, version, entry.line, "a version range", undetermined=False)
            )
        else:
            self.packages.append(
                make_package(
                    entry.name,
                    exact,
                    ECOSYSTEM,
                    self.path,
                    line=entry.line,
                    direct=direct,
                    dev=scope in _NOT_SHIPPED,
                )
            )

    def _unknown(self, name: str, requirement: str, line: int, reason: str) -> None:
        self.unpinned.append(_unpinned(name, requirement, line, reason))


def _read_pom(text: str, path: str) -> _Pom:
    project = parse_xml(text, path)
    if project.tag != "project":
        raise ScanError(
            f"{path}: could not extract from file: not a Maven POM "
            f"(root element <{project.tag}>, expected <project>)"
        )
    properties = _properties(project)
    managed = {
        d.name: d
        for d in _declared(project.child("dependencyManagement"), properties, path)
        if isinstance(d.name, str)
    }
    reader = _PomReader(path)
    used: set[str] = set()
    for entry in _declared(project, properties, path):
        rule = managed.get(entry.name) if isinstance(entry.name, str) else None
        if rule is not None and isinstance(entry.name, str):
            used.add(entry.name)
        version = entry.version if entry.version is not None or rule is None else rule.version
        scope = entry.scope if entry.scope or rule is None else rule.scope
        reader.add(entry, version, direct=True, scope=scope)
    for name, rule in managed.items():
        if name not in used:  # "import" scope: a BOM, whose own version is pinned
            scope = None if rule.scope == "import" else rule.scope
            reader.add(rule, rule.version, direct=None, scope=scope)
    return _Pom(dedupe(reader.packages), tuple(reader.unpinned))


def parse_pom(text: str, path: str) -> tuple[Package, ...]:
    return _read_pom(text, path).packages


def unpinned_in_pom(text: str, path: str) -> tuple[Unpinned, ...]:
    return _read_pom(text, path).unpinned


# --- mvn dependency:tree ---------------------------------------------------------------

_LOG_PREFIX = re.compile(r"^\[(?:INFO|WARNING)\] ?")
_TREE_LINE = re.compile(
    r"^(?P<indent>(?:[| ]  )*)(?P<branch>[+\\]- )?(?P<coordinates>[^\s:()]+(?::[^\s:()]+){3,5})"
    r"(?P<annotation>\s.*)?$"
)
_OMITTED = re.compile(r"^(?:[| ]  )*[+\\]- \(")


def _coordinates(text: str) -> tuple[str, str, str | None]:
    """(``group:artifact``, version, scope) of ``g:a:type[:classifier]:version[:scope]``."""
    parts = text.split(":")
    name = f"{parts[0]}:{parts[1]}"
    if len(parts) == 4:  # g:a:type:version, a root (no scope)
        return name, parts[3], None
    if len(parts) == 5:  # g:a:type:version:scope
        return name, parts[3], parts[4]
    return name, parts[4], parts[5]  # g:a:type:classifier:version:scope


def parse_maven_dependency_tree(text: str, path: str) -> tuple[Package, ...]:
    packages: list[Package] = []
    roots = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _LOG_PREFIX.sub("", raw.rstrip())
        if _OMITTED.match(line):
            continue
        match = _TREE_LINE.match(line)
        if match is None:
            continue
        if match.group("branch") is None:
            roots += match.group("indent") == ""
            continue
        depth = len(match.group("indent")) // 3 + 1
        name, version, scope = _coordinates(match.group("coordinates"))
        packages.append(
            make_package(
                name,
                version,
                ECOSYSTEM,
                path,
                line=number,
                direct=depth == 1,
                dev=scope in _NOT_SHIPPED,
            )
        )
    if not packages and not roots:
        raise ScanError(
            f"{path}: could not extract from file: no Maven dependency tree "
            "(expected the output of mvn dependency:tree)"
        )
    return dedupe(packages)


class PomAnalyzer(LockfileAnalyzer):
    name = "maven-pom"
    file_names = frozenset({"pom.xml"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pom(text, path)


class MavenDependencyTreeAnalyzer(LockfileAnalyzer):
    name = "maven-dependency-tree"
    file_names = frozenset({"maven-dependency-tree.txt", "dependency-tree.txt"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_maven_dependency_tree(text, path)
