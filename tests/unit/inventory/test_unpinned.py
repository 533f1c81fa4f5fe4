"""The ``unpinned-deps`` scanner, and lockfile analyzers inside a real scan: a broken
manifest is a failed input naming the file while the rest of the scan goes on."""

from __future__ import annotations

from pathlib import Path

from secloop.core.finding import Finding, FindingKind
from secloop.core.result import Failed, ScanResult
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import FileContent, FileEntry, PartialFailure
from secloop.scan.inventory.unpinned import (
    UNPINNED_RULE,
    UnpinnedDependencyScanner,
    unpinned_in_requirements,
)
from secloop.scan.registry import default_registry

FIXTURES = Path(__file__).parents[2] / "fixtures" / "inventory"

REQUIREMENTS = """\
# pinned: not reported
requests==2.31.0 --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
flask>=2.0,<3 ; python_version >= "3.8"
gunicorn
numpy==1.*
Django~=4.2 \\
    --hash=sha256:abc
-r base.txt
-e .
mypkg @ https://example.com/mypkg-1.0.tar.gz
not a requirement !!
"""


def _scan_file(path: str, text: str) -> list[Finding | PartialFailure]:
    data = text.encode()
    content = FileContent(entry=FileEntry(path=path, size=len(data)), data=data)
    return list(UnpinnedDependencyScanner().scan_file(content))


def test_requirements_ranges_and_bare_names_are_unpinned() -> None:
    found = unpinned_in_requirements(REQUIREMENTS, "requirements.txt")
    assert [(u.name, u.requirement, u.line, u.reason) for u in found] == [
        ("flask", "<3,>=2.0", 3, "a version range"),
        ("gunicorn", "", 4, "any version may be installed"),
        ("numpy", "==1.*", 5, "a version range"),
        ("django", "~=4.2", 6, "a version range"),
    ]


def test_each_loose_declaration_is_a_finding_at_its_line() -> None:
    findings = _scan_file("api/requirements.txt", REQUIREMENTS)
    assert all(isinstance(f, Finding) for f in findings)
    flask = findings[0]
    assert isinstance(flask, Finding)
    assert (flask.rule_id, flask.kind, flask.severity) == (
        "SL-DEP-001",
        FindingKind.MISCONFIGURATION,
        UNPINNED_RULE.severity,
    )
    assert (flask.location.path, flask.location.start_line) == ("api/requirements.txt", 3)
    assert flask.anchor == "pkg:pypi/flask"  # survives a change of the range
    assert flask.evidence == "<3,>=2.0"
    assert "declared as '<3,>=2.0' (a version range)" in flask.message
    gunicorn = findings[1]
    assert isinstance(gunicorn, Finding)
    assert "declared without a version (any version may be installed)" in gunicorn.message
    assert gunicorn.evidence is None


def test_pom_ranges_are_findings_and_parent_managed_versions_a_coverage_entry() -> None:
    results = _scan_file("svc/pom.xml", (FIXTURES / "pom.xml").read_text())
    findings = [r for r in results if isinstance(r, Finding)]
    (failure,) = [r for r in results if isinstance(r, PartialFailure)]
    assert [(f.title, f.evidence) for f in findings] == [
        ("org.apache.commons:commons-lang3 is not pinned to one version", "[3.12,4.0)")
    ]
    assert failure.reason.startswith("svc/pom.xml: 2 dependencies have no version this file")
    assert "org.springframework.boot:spring-boot-starter-web (line 40: no version" in (
        failure.reason
    )
    assert "${micrometer.version}" in failure.reason


def test_a_long_list_of_unchecked_dependencies_is_cut() -> None:
    dependencies = "".join(
        f"<dependency><groupId>g</groupId><artifactId>a{n}</artifactId></dependency>\n"
        for n in range(8)
    )
    text = f"<project><dependencies>\n{dependencies}</dependencies></project>"
    (failure,) = _scan_file("pom.xml", text)
    assert isinstance(failure, PartialFailure)
    assert "8 dependencies" in failure.reason
    assert "; and 3 more." in failure.reason


def test_an_unreadable_manifest_is_left_to_its_analyzer() -> None:
    assert _scan_file("pom.xml", "<project>") == []
    scanner = UnpinnedDependencyScanner()
    assert scanner.applies_to(FileEntry(path="a/pom.xml", size=1))
    assert scanner.applies_to(FileEntry(path="requirements-dev.txt", size=1))
    assert not scanner.applies_to(FileEntry(path="gradle.lockfile", size=1))
    assert scanner.rules() == (UNPINNED_RULE,)


def _scan(root: Path) -> ScanResult:
    request = ScanRequest(
        spec=str(root), scanners=("unpinned-deps",), use_gitignore=False, collect_inventory=True
    )
    return run_scan(request, default_registry())


def test_a_broken_lockfile_fails_alone_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "pom.xml").write_text("<project>\n  <dependencies>\n")
    (tmp_path / "pubspec.lock").write_text("packages: {http: [\n")
    (tmp_path / "gradle.lockfile").write_text("junit:junit:4.13.2=testRuntimeClasspath\n")
    (tmp_path / "mix.lock").write_text(
        '%{\n  "plug": {:hex, :plug, "1.11.1", "f2", [:mix], [], "hexpm", "23"},\n}\n'
    )
    (tmp_path / "requirements.txt").write_text("flask>=2\n")
    result = _scan(tmp_path)
    failed = {c.path: c for c in result.coverage if isinstance(c, Failed)}
    assert set(failed) == {"svc/pom.xml", "pubspec.lock"}
    assert failed["svc/pom.xml"].by == "maven-pom"
    assert failed["svc/pom.xml"].reason.startswith(
        "svc/pom.xml: could not extract from file: not valid XML (XML syntax error: "
    )
    assert failed["pubspec.lock"].reason.startswith("pubspec.lock: could not extract from file")
    assert {(p.name, p.version, p.ecosystem) for p in result.packages} == {
        ("junit:junit", "4.13.2", "Maven"),
        ("plug", "1.11.1", "Hex"),
    }
    assert [(f.rule_id, f.location.display) for f in result.findings] == [
        ("SL-DEP-001", "requirements.txt:1")
    ]
