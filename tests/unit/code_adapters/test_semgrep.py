"""The Semgrep adapter: local rules only, JSON parsing on real samples, skip reasons."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from secloop.core.result import Failed, ScanResult
from secloop.core.severity import Severity
from secloop.scan.artifact.fs import FilesystemOpener
from secloop.scan.code.adapters.semgrep import (
    MAX_BATCH_ARGV_CHARS,
    MAX_BATCH_FILES,
    RULES_ENV,
    SemgrepScanner,
    batches,
    parse_semgrep_output,
)
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import FileContent, FileEntry, Inventory, ScanError
from secloop.scan.registry import Registry
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
    """A stand-in executable implementing Semgrep's JSON contract: it records each argv
    and reports one result per target file that contains ``shell=True``."""
    script = tmp_path / "semgrep"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "log = pathlib.Path(sys.argv[0] + '.argv')\n"
        "runs = json.loads(log.read_text()) if log.exists() else []\n"
        "log.write_text(json.dumps([*runs, sys.argv[1:]]))\n"
        "targets = sys.argv[sys.argv.index('--') + 1:]\n"
        "results = []\n"
        "for target in targets:\n"
        "    for number, line in enumerate(pathlib.Path(target).read_text().splitlines(), 1):\n"
        "        if 'shell=True' in line:\n"
        "            results.append({'check_id': 'rules.shell-true', 'path': target,\n"
        "              'start': {'line': number, 'col': 5}, 'end': {'line': number, 'col': 36},\n"
        "              'extra': {'severity': 'ERROR', 'message': 'shell',\n"
        "                        'lines': 'requires login',\n"
        "                        'metadata': {'cwe': ['CWE-78: OS Command Injection']}}})\n"
        "print(json.dumps({'results': results,\n"
        "  'errors': [{'level': 'warn', 'message': 'ignored'}]}))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _runs(executable: Path) -> list[list[str]]:
    runs: list[list[str]] = json.loads(Path(f"{executable}.argv").read_text(encoding="utf-8"))
    return runs


def _tree(root: Path, files: int) -> None:
    for n in range(files):
        path = root / f"svc{n % 3}" / f"mod{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(SOURCE if n % 2 == 0 else b"print('safe')\n")
    (root / "README.md").write_text("not source\n", encoding="utf-8")


def _scan(root: Path, scanner: SemgrepScanner) -> ScanResult:
    registry = Registry(openers=(FilesystemOpener(),), scanners=(scanner,))
    return run_scan(ScanRequest(spec=str(root), scanners=("semgrep",)), registry)


def _rules_dir(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "python.yaml").write_text(RULES, encoding="utf-8")
    return rules


def test_one_run_per_scan_with_local_config_and_privacy_flags(tmp_path: Path) -> None:
    rules = _rules_dir(tmp_path)
    executable = fake_semgrep(tmp_path)
    root = tmp_path / "repo"
    _tree(root, 6)
    result = _scan(root, SemgrepScanner(executable=str(executable), rules=[str(rules)]))
    (argv,) = _runs(executable)
    assert argv[:3] == ["scan", "--config", str(rules.resolve())]
    assert {"--metrics=off", "--disable-version-check", "--json"} <= set(argv)
    assert sorted(argv[argv.index("--") + 1 :]) == sorted(f"svc{n % 3}/mod{n}.py" for n in range(6))
    paths = sorted((f.location.path, f.location.start_line) for f in result.findings)
    assert paths == [("svc0/mod0.py", 5), ("svc1/mod4.py", 5), ("svc2/mod2.py", 5)]
    finding = result.findings[0]
    assert finding.evidence == "subprocess.run(cmd, shell=True)"
    assert finding.frameworks["cwe"] == ("CWE-78",)
    assert "subprocess.run(cmd, shell=True)" in finding.anchor


def test_large_scans_run_in_bounded_batches(tmp_path: Path) -> None:
    executable = fake_semgrep(tmp_path)
    root = tmp_path / "repo"
    _tree(root, MAX_BATCH_FILES + 20)
    scanner = SemgrepScanner(executable=str(executable), rules=[str(_rules_dir(tmp_path))])
    result = _scan(root, scanner)
    runs = _runs(executable)
    assert [len(argv[argv.index("--") + 1 :]) for argv in runs] == [MAX_BATCH_FILES, 20]
    assert len(result.findings) == (MAX_BATCH_FILES + 20 + 1) // 2


def test_batches_bound_count_and_argument_length() -> None:
    assert batches([]) == []
    names = [f"f{n}.py" for n in range(MAX_BATCH_FILES * 2 + 1)]
    assert [len(b) for b in batches(names)] == [MAX_BATCH_FILES, MAX_BATCH_FILES, 1]
    long_names = ["d/" * 2000 + f"f{n}.py" for n in range(40)]
    for batch in batches(long_names):
        assert sum(len(name) + 1 for name in batch) <= MAX_BATCH_ARGV_CHARS
    assert sum(len(b) for b in batches(long_names)) == 40


def test_semgrep_failure_is_recorded_and_the_scan_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "semgrep"
    broken.write_text(f"#!{sys.executable}\nimport sys\nsys.exit('boom: bad rules')\n")
    broken.chmod(0o755)
    root = tmp_path / "repo"
    _tree(root, 2)
    scanner = SemgrepScanner(executable=str(broken), rules=[str(_rules_dir(tmp_path))])
    result = _scan(root, scanner)
    assert result.findings == ()
    reasons = [c.reason for c in result.coverage if isinstance(c, Failed) and c.by == "semgrep"]
    assert any("semgrep failed (exit 1): boom: bad rules" in r for r in reasons), reasons


def test_rules_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(rules))
    scanner = SemgrepScanner(executable=str(fake_semgrep(tmp_path)))
    assert list(scanner.scan_inventory(Inventory())) == []
    entry = FileEntry(path="a.py", size=len(SOURCE))
    assert scanner.applies_to(entry)
    assert list(scanner.scan_file(FileContent(entry=entry, data=SOURCE))) == []


@pytest.mark.skipif(shutil.which("semgrep") is None, reason="semgrep is not installed")
def test_real_semgrep_run(tmp_path: Path) -> None:
    rules = _rules_dir(tmp_path)
    root = tmp_path / "repo"
    _tree(root, 4)
    executable = shutil.which("semgrep")
    scanner = SemgrepScanner(executable=executable, rules=[str(rules)], timeout_seconds=300)
    result = _scan(root, scanner)
    found = sorted((f.location.path, f.location.start_line) for f in result.findings)
    assert found == [("svc0/mod0.py", 5), ("svc2/mod2.py", 5)]
    assert result.findings[0].frameworks["cwe"] == ("CWE-78",)
    assert os.environ.get("SEMGREP_SEND_METRICS") != "on"
