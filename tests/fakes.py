"""Fakes for the scan plugin families, used by unit tests of the pipeline.

They behave like small real plugins (they read the file content they are given),
so the engine is exercised end to end without depending on a particular scanner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.package import Package, PackageLocation
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.interface import (
    Analyzer,
    AnalyzerOutput,
    FileContent,
    FileEntry,
    Inventory,
    PartialFailure,
    ScanError,
    Scanner,
)

MARKER_RULE = Rule(
    id="FAKE-001",
    kind=FindingKind.CODE,
    title="Security marker comment",
    severity=Severity.HIGH,
    description="A line that carries the SECURITY-MARKER text.",
    remediation="Remove the marker.",
    peers={"bandit": "B000"},
    frameworks={"cwe": ("CWE-0",)},
)
PACKAGE_RULE = Rule(
    id="FAKE-PKG",
    kind=FindingKind.VULNERABILITY,
    title="Package on the deny list",
    severity=Severity.CRITICAL,
)


class MarkerScanner(Scanner):
    """Reports each line of a ``.txt`` file containing ``SECURITY-MARKER``."""

    name = "marker"
    kind = FindingKind.CODE

    def rules(self) -> Sequence[Rule]:
        return (MARKER_RULE,)

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.path.endswith(".txt")

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        if "PARSE-ERROR" in content.text:
            raise ScanError(f"{content.entry.path}: cannot parse (fake error)")
        if "CRASH" in content.text:
            raise RuntimeError("fake plugin bug")
        for number, line in enumerate(content.lines, start=1):
            if "SECURITY-MARKER" in line:
                yield Finding(
                    kind=FindingKind.CODE,
                    rule_id=MARKER_RULE.id,
                    severity=MARKER_RULE.severity,
                    title=MARKER_RULE.title,
                    message=f"marker found: {line.strip()}",
                    location=Location(path=content.entry.path, start_line=number),
                    scanner=self.name,
                    evidence=line,
                )


class RequirementsAnalyzer(Analyzer):
    """Reads ``name==version`` lines of ``requirements.txt`` files into PyPI packages."""

    name = "fake-requirements"

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name == "requirements.txt"

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        packages = []
        for line in content.lines:
            if "==" in line:
                name, version = line.split("==", 1)
                packages.append(
                    Package.create(
                        name=name.strip(),
                        version=version.strip(),
                        ecosystem="PyPI",
                        locations=(PackageLocation(path=content.entry.path),),
                    )
                )
        return AnalyzerOutput(packages=tuple(packages))


class DenyListScanner(Scanner):
    """Flags inventory packages whose name is on a deny list."""

    name = "denylist"
    kind = FindingKind.VULNERABILITY
    uses_inventory = True

    def __init__(self, denied: Sequence[str]) -> None:
        self._denied = frozenset(denied)

    def rules(self) -> Sequence[Rule]:
        return (PACKAGE_RULE,)

    def scan_inventory(self, inventory: Inventory) -> Iterable[Finding]:
        for package in inventory.packages:
            if package.name in self._denied:
                yield Finding(
                    kind=FindingKind.VULNERABILITY,
                    rule_id=PACKAGE_RULE.id,
                    severity=PACKAGE_RULE.severity,
                    title=PACKAGE_RULE.title,
                    message=f"{package.name} {package.version} is denied",
                    location=Location(path=package.locations[0].path),
                    scanner=self.name,
                    anchor=package.purl,
                    package=package,
                )
