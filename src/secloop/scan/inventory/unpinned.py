"""``UnpinnedDependencyScanner``: manifest dependencies declared without one version.

The package analyzers report only versions a file pins; a range names no installed
version, and guessing one (its lower bound, as some scanners do) invents or hides
vulnerabilities. So what they leave out is reported here instead, for the manifests
where a declaration can be loose:

* **SL-DEP-001** (a finding): a dependency declared as a range -- ``flask>=2.0`` or a
  bare ``flask`` in a requirements file, ``[1.0,2.0)`` in a ``pom.xml``. Its version
  is whatever the resolver picks on the day of the build, and no vulnerability check
  covers it.
* A ``pom.xml`` dependency whose version this file cannot tell (managed by the parent
  POM or an imported BOM, or a ``${property}`` defined elsewhere) is no loose
  declaration, but it was not checked either: each file lists those in one coverage
  entry (failed by ``unpinned-deps``), with the way to check them.

A file that does not parse is the analyzer's failure, recorded once; this scanner then
adds nothing for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from packaging.requirements import InvalidRequirement, Requirement

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.package import build_purl
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.interface import FileContent, FileEntry, PartialFailure, ScanError, Scanner
from secloop.scan.inventory._common import Unpinned, pypi_name
from secloop.scan.inventory.maven import unpinned_in_pom

# The requirements analyzer's reading of logical lines (continuations, comments), so
# both see the same requirements on the same lines.
from secloop.scan.inventory.requirements import RequirementsAnalyzer, logical_lines

__all__ = ["UNPINNED_RULE", "UnpinnedDependencyScanner", "unpinned_in_requirements"]

UNPINNED_RULE = Rule(
    id="SL-DEP-001",
    kind=FindingKind.MISCONFIGURATION,
    title="Dependency is not pinned to one version",
    severity=Severity.LOW,
    description=(
        "The manifest declares the dependency with a version range (or no version), so "
        "the version installed is whatever the resolver picks when the build runs. "
        "Builds are not reproducible, a compromised or vulnerable release can enter "
        "without a change to the repository, and secloop cannot check the dependency "
        "for known vulnerabilities: it reports no package rather than a guessed version."
    ),
    remediation=(
        "Pin an exact version (`name==1.2.3`, `<version>1.2.3</version>`), or scan the "
        "lockfile or resolved dependency tree that records the versions actually used "
        "(pip-compile / uv / poetry locks, `mvn dependency:tree -DoutputFile="
        "maven-dependency-tree.txt`, `gradle.lockfile`)."
    ),
    references=(
        "https://pip.pypa.io/en/stable/topics/repeatable-installs/",
        "https://maven.apache.org/enforcer/enforcer-rules/requireReleaseDeps.html",
    ),
    tags=("supply-chain", "sca"),
)

_MAX_LISTED = 5
_OPTION = re.compile(r"\s--?[a-zA-Z][-\w]*(?:[ =](?:\"[^\"]*\"|'[^']*'|\S+))?")


def unpinned_in_requirements(text: str, path: str) -> tuple[Unpinned, ...]:
    """Requirements with a name but no exact pin: ranges and bare names. URLs, paths
    and options are not version declarations and are left alone."""
    found = []
    for number, line in logical_lines(text):
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(_OPTION.sub("", " " + line).strip())
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        exact = len(specifiers) == 1 and specifiers[0].operator in ("==", "===")
        if requirement.url or (exact and "*" not in specifiers[0].version):
            continue
        written = str(requirement.specifier)
        found.append(
            Unpinned(
                name=pypi_name(requirement.name),
                ecosystem="PyPI",
                requirement=written,
                line=number,
                reason="a version range" if written else "any version may be installed",
            )
        )
    return tuple(found)


class UnpinnedDependencyScanner(Scanner):
    """Reports loose dependency declarations in requirements files and ``pom.xml``."""

    name = "unpinned-deps"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self) -> None:
        self._requirements = RequirementsAnalyzer()

    def rules(self) -> Sequence[Rule]:
        return (UNPINNED_RULE,)

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name == "pom.xml" or self._requirements.applies_to(entry)

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        path = content.entry.path
        try:
            if content.entry.name == "pom.xml":
                declared = unpinned_in_pom(content.text, path)
            else:
                declared = unpinned_in_requirements(content.text, path)
        except ScanError:
            return ()  # the analyzer of this file records why it could not be read
        loose = [u for u in declared if not u.undetermined]
        unknown = [u for u in declared if u.undetermined]
        return [*self._findings(loose, path), *_not_checked(unknown, path)]

    def _findings(self, declared: Sequence[Unpinned], path: str) -> Iterator[Finding]:
        for unpinned in declared:
            as_written = (
                f"as {unpinned.requirement!r} ({unpinned.reason})"
                if unpinned.requirement
                else f"without a version ({unpinned.reason})"
            )
            yield Finding(
                kind=FindingKind.MISCONFIGURATION,
                rule_id=UNPINNED_RULE.id,
                severity=UNPINNED_RULE.severity,
                title=f"{unpinned.name} is not pinned to one version",
                message=(
                    f"{unpinned.name} is declared {as_written}: the "
                    "version installed depends on when the build runs, and no "
                    "vulnerability check covers it"
                ),
                location=Location(path=path, start_line=unpinned.line),
                scanner=self.name,
                anchor=build_purl(unpinned.ecosystem, unpinned.name, None),
                evidence=unpinned.requirement or None,
                remediation=UNPINNED_RULE.remediation,
                references=UNPINNED_RULE.references,
            )


def _not_checked(declared: Sequence[Unpinned], path: str) -> Iterator[PartialFailure]:
    if not declared:
        return
    listed = "; ".join(f"{u.name} (line {u.line}: {u.reason})" for u in declared[:_MAX_LISTED])
    more = f"; and {len(declared) - _MAX_LISTED} more" if len(declared) > _MAX_LISTED else ""
    yield PartialFailure(
        reason=(
            f"{path}: {len(declared)} dependencies have no version this file determines, "
            f"so no vulnerability check covers them: {listed}{more}. Scan the resolved "
            "tree (mvn dependency:tree -DoutputFile=maven-dependency-tree.txt) to check them"
        )
    )
