"""The Semgrep adapter: local rules only, JSON parsing on real samples, skip reasons."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from secloop.core.severity import Severity
from secloop.scan.code.adapters.semgrep import (
    RULES_ENV,
    SemgrepScanner,
    parse_semgrep_output,
)
from secloop.scan.interface import FileContent, FileEntry, Inventory, PartialFailure, ScanError
from tests.conftest import CORPUS_ROOT

SAMPLES = CORPUS_ROOT / "defectdojo-scan-samples" / "semgrep"
RULES = """rules:
  - id: shell-true
    languages: [python]
    severity: ERROR
    message: subprocess with shell=True
    metadata:
      cwe: "CWE-78: Improper Neutralization of Special Elements used in an OS Command"
    pattern: subprocess.run($X, ..., shell=True, ...)
"""
SOURCE = b"import subprocess\n\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"


def sample(name: str) -> object:
    if not SAMPLES.is_dir():
        pytest.skip(f"corpus not present: {SAMPLES}")
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("empty.json", 0),
        ("one_finding.json", 1),
        ("many_findings.json", 3),
        ("many_vulns.json", 48),
        ("repeated_findings.json", 2),
        ("fingerprint_test.json", 2),
        ("high-medium-low-severities.json", 3),
    ],
)
def test_every_result_of_each_sample_becomes_a_finding(name: str, count: int) -> None:
    findings, errors = parse_semgrep_output(sample(name))
    assert len(findings) == count
    assert errors == []
    for finding in findings:
        assert finding.rule_id.startswith("SEMGREP-")
        assert finding.scanner == "semgrep"
        assert finding.location.path
        assert finding.location.start_line is not None


def test_one_finding_maps_fields() -> None:
    (finding,) = parse_semgrep_output(sample("one_finding.json"))[0]
    assert finding.severity is Severity.MEDIUM  # WARNING
    assert finding.frameworks["cwe"] == ("CWE-696",)
    assert finding.location.start_line == 64
    assert finding.location.start_column == 4
    assert "https://capec.mitre.org/data/definitions/463.html" in finding.references
    assert "Cipher.getInstance" in (finding.evidence or "")


def test_cwe_lists_and_new_severities() -> None:
    findings, _ = parse_semgrep_output(sample("fingerprint_test.json"))
    assert {f.frameworks["cwe"] for f in findings} == {("CWE-78",), ("CWE-89",)}
    assert all(f.evidence is None for f in findings)  # "requires login" is not evidence
    severities, _ = parse_semgrep_output(sample("high-medium-low-severities.json"))
    assert {f.severity for f in severities} <= set(Severity)


def test_not_an_object_and_malformed_results() -> None:
    with pytest.raises(ScanError):
        parse_semgrep_output([])
    findings, errors = parse_semgrep_output(
        {"results": [{"path": "a.py"}, 3], "errors": [{"level": "error", "message": "bad rule"}]}
    )
    assert findings == []
    assert errors == ["bad rule"]


def test_remote_rules_are_refused(tmp_path: Path) -> None:
    scanner = SemgrepScanner(executable=sys.executable, rules=["p/python"])
    with pytest.raises(ScanError, match="must be local paths"):
        list(scanner.scan_inventory(Inventory()))
    missing = SemgrepScanner(executable=sys.executable, rules=[str(tmp_path / "nope")])
    with pytest.raises(ScanError, match="do not exist"):
        list(missing.scan_inventory(Inventory()))


def test_absent_executable_is_skipped_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    scanner = SemgrepScanner()
    assert not scanner.applies_to(FileEntry(path="a.py", size=10))
    with pytest.raises(ScanError, match="semgrep executable is not installed"):
        list(scanner.scan_inventory(Inventory()))


def fake_semgrep(tmp_path: Path) -> Path:
    """A stand-in executable that records its argv and prints one result for the target."""
    script = tmp_path / "semgrep"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "pathlib.Path(sys.argv[0] + '.argv').write_text(json.dumps(sys.argv[1:]))\n"
        "target = sys.argv[-1]\n"
        "print(json.dumps({'results': [{'check_id': 'rules.shell-true', 'path': target,\n"
        "  'start': {'line': 5, 'col': 5}, 'end': {'line': 5, 'col': 36},\n"
        "  'extra': {'severity': 'ERROR', 'message': 'shell', 'lines': 'requires login',\n"
        "            'metadata': {'cwe': ['CWE-78: OS Command Injection']}}}],\n"
        "  'errors': [{'level': 'warn', 'message': 'ignored'}]}))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def test_run_uses_local_config_and_privacy_flags(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "python.yaml").write_text(RULES, encoding="utf-8")
    executable = fake_semgrep(tmp_path)
    scanner = SemgrepScanner(executable=str(executable), rules=[str(rules)])
    entry = FileEntry(path="svc/run.py", size=len(SOURCE))
    assert scanner.applies_to(entry)
    (finding,) = scanner.scan_file(FileContent(entry=entry, data=SOURCE))
    argv = json.loads(Path(f"{executable}.argv").read_text(encoding="utf-8"))
    assert argv[:3] == ["scan", "--config", str(rules.resolve())]
    assert {"--metrics=off", "--disable-version-check", "--json"} <= set(argv)
    assert argv[-1] == "svc/run.py"
    assert not isinstance(finding, PartialFailure)
    assert finding.location.path == "svc/run.py"
    assert finding.evidence == "subprocess.run(cmd, shell=True)"
    assert finding.frameworks["cwe"] == ("CWE-78",)


def test_rules_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(rules))
    scanner = SemgrepScanner(executable=str(fake_semgrep(tmp_path)))
    assert list(scanner.scan_inventory(Inventory())) == []


@pytest.mark.skipif(shutil.which("semgrep") is None, reason="semgrep is not installed")
def test_real_semgrep_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "python.yaml").write_text(RULES, encoding="utf-8")
    executable = shutil.which("semgrep")
    scanner = SemgrepScanner(executable=executable, rules=[str(rules)], timeout_seconds=300)
    entry = FileEntry(path="tests/run.py", size=len(SOURCE))
    results = list(scanner.scan_file(FileContent(entry=entry, data=SOURCE)))
    findings = [r for r in results if not isinstance(r, PartialFailure)]
    assert [(f.location.path, f.location.start_line) for f in findings] == [("tests/run.py", 5)]
    assert findings[0].frameworks["cwe"] == ("CWE-78",)
    assert os.environ.get("SEMGREP_SEND_METRICS") != "on"
