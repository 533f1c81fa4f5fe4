"""The scanner plugin: file selection, rules catalogue, and errors from undecodable input."""

from __future__ import annotations

import pytest

from secloop.core.finding import Finding, FindingKind
from secloop.scan.interface import FileContent, FileEntry, PartialFailure
from secloop.scan.registry import default_registry
from secloop.scan.secrets import ALL_RULES, SecretsScanner
from secloop.scan.secrets.structural import STRUCTURAL_RULES

GITHUB = "ghp_" + "FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Yf2"


def _entry(path: str, size: int = 100) -> FileEntry:
    return FileEntry(path=path, size=size)


@pytest.mark.parametrize(
    ("path", "size", "wanted"),
    [
        ("src/app.py", 100, True),
        (".env", 10, True),
        ("Dockerfile", 10, True),
        ("deploy/values.yaml", 10, True),
        ("web/bundle.min.js", 10, True),
        ("img/logo.PNG", 10, False),
        ("dist/app.tar.gz", 10, False),
        ("package-lock.json", 10, False),
        ("sub/Cargo.lock", 10, False),
        # size is the artifact's limit (--max-file-size), which lists what it skips
        ("data/huge.csv", 50 * 1024 * 1024, True),
    ],
)
def test_applies_to(path: str, size: int, wanted: bool) -> None:
    assert SecretsScanner().applies_to(_entry(path, size)) is wanted


def test_scan_file_reports_path_and_masks() -> None:
    content = FileContent(entry=_entry("config/.env"), data=f"GH={GITHUB}\n".encode())
    (finding,) = SecretsScanner().scan_file(content)
    assert isinstance(finding, Finding)
    assert finding.location.path == "config/.env"
    assert GITHUB not in repr(finding)


def test_undecodable_file_is_scanned_with_a_partial_failure() -> None:
    data = b"# caf\xe9 (Latin-1)\nGH=" + GITHUB.encode() + b"\n"
    content = FileContent(entry=_entry("legacy.conf"), data=data)
    finding, note = SecretsScanner().scan_file(content)
    assert isinstance(finding, Finding)
    assert finding.rule_id == "SECRET-GITHUB-PAT"
    assert finding.location.start_line == 2
    assert isinstance(note, PartialFailure)
    assert note.reason == (
        "legacy.conf: not valid UTF-8 text (byte 5: invalid continuation byte); "
        "scanned with those bytes replaced"
    )


def test_rules_and_identity() -> None:
    scanner = SecretsScanner()
    assert scanner.name == "secret"
    assert scanner.kind is FindingKind.SECRET
    assert scanner.text_only
    structural = [r.id for r in STRUCTURAL_RULES]
    assert [r.id for r in scanner.rules()] == [r.id for r in ALL_RULES] + structural


def test_registered_in_default_registry() -> None:
    registry = default_registry()
    # the files of the merged view, and (in images) the files a later layer deleted
    assert [s.name for s in registry.select_scanners(["secrets"])] == ["secret", "secret-deleted"]
    assert [s.name for s in registry.select_scanners(["secret"])] == ["secret", "secret-deleted"]
