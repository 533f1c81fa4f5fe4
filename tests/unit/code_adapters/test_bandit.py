"""The Bandit adapter: in-process runs on the engine's bytes, mapped to secloop findings."""

from __future__ import annotations

import pytest

from secloop.core.finding import FindingKind
from secloop.core.severity import Severity
from secloop.scan.code.adapters import bandit as bandit_module
from secloop.scan.code.adapters.bandit import BanditScanner
from secloop.scan.interface import FileContent, FileEntry, Inventory, ScanError

pytest.importorskip("bandit")

SOURCE = b"""import subprocess


def run(cmd):
    subprocess.call(cmd, shell=True)
    subprocess.call(cmd, shell=True)  # nosec B602
"""


def content(data: bytes, path: str = "app/run.py") -> FileContent:
    return FileContent(entry=FileEntry(path=path, size=len(data)), data=data)


def test_bandit_findings_carry_cwe_and_bandit_id() -> None:
    findings = list(BanditScanner().scan_file(content(SOURCE)))
    by_rule = {f.rule_id: f for f in findings}
    shell = by_rule["BANDIT-B602"]
    assert shell.kind is FindingKind.CODE
    assert shell.scanner == "bandit"
    assert shell.severity is Severity.HIGH
    assert shell.location.path == "app/run.py"
    assert shell.location.start_line == 5
    assert shell.frameworks["cwe"] == ("CWE-78",)
    assert shell.frameworks["bandit"] == ("B602",)
    assert shell.evidence == "subprocess.call(cmd, shell=True)"
    assert "confidence: high" in shell.message
    assert shell.references
    assert shell.references[0].startswith("https://")


def test_bandit_nosec_is_honoured() -> None:
    lines = [f.location.start_line for f in BanditScanner().scan_file(content(SOURCE))]
    assert 6 not in lines


def test_anchor_survives_line_shifts() -> None:
    scanner = BanditScanner()
    before = {f.rule_id: f.anchor for f in scanner.scan_file(content(SOURCE))}
    after = {f.rule_id: f.anchor for f in scanner.scan_file(content(b"\n\n" + SOURCE))}
    assert before == after


def test_syntax_error_is_a_scan_error_naming_the_file() -> None:
    with pytest.raises(ScanError, match=r"broken\.py: Bandit could not scan it"):
        list(BanditScanner().scan_file(content(b"def broken(:\n", "broken.py")))


def test_applies_to_python_only() -> None:
    scanner = BanditScanner()
    assert scanner.applies_to(FileEntry(path="a/b.py", size=10))
    assert not scanner.applies_to(FileEntry(path="a/b.pyi", size=10))
    assert not scanner.applies_to(FileEntry(path="a/b.txt", size=10))


def test_missing_bandit_is_recorded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bandit_module, "bandit_available", lambda: False)
    scanner = BanditScanner()
    assert not scanner.applies_to(FileEntry(path="a.py", size=1))
    with pytest.raises(ScanError, match=r"Bandit is not installed.*secloop\[bandit\]"):
        list(scanner.scan_inventory(Inventory()))


def test_installed_bandit_records_nothing_for_the_inventory() -> None:
    assert list(BanditScanner().scan_inventory(Inventory())) == []
