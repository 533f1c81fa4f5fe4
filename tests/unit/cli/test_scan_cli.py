"""End-to-end behaviour of ``secloop scan``: gate, baseline, suppressions, fail-closed, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import RunCli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "notes.txt").write_text("intro\nSECURITY-MARKER one\n")
    (root / "requirements.txt").write_text("badpkg==1.0\n")
    monkeypatch.chdir(tmp_path)  # no stray config or ignore file from the developer's tree
    return root


def test_findings_fail_the_gate_with_exit_1(run_cli: RunCli, project: Path) -> None:
    outcome = run_cli("scan", str(project))
    assert outcome.code == 1
    assert "FAKE-001" in outcome.out
    assert "FAKE-PKG" in outcome.out


def test_fail_on_and_exit_code(run_cli: RunCli, project: Path) -> None:
    (project / "requirements.txt").write_text("good==1.0\n")
    assert run_cli("scan", str(project), "--fail-on", "critical").code == 0
    assert run_cli("scan", str(project), "--fail-on", "HIGH").code == 1
    assert run_cli("scan", str(project), "--exit-code", "7").code == 7
    assert run_cli("scan", str(project), "--exit-code", "0").code == 0


def test_severity_filter_removes_findings(run_cli: RunCli, project: Path) -> None:
    outcome = run_cli("scan", str(project), "--severity", "CRITICAL", "--format", "json")
    document = json.loads(outcome.out)
    assert [f["rule_id"] for f in document["findings"]] == ["FAKE-PKG"]
    assert outcome.code == 1


def test_scanner_selection_and_unknown_scanner(run_cli: RunCli, project: Path) -> None:
    outcome = run_cli("scan", str(project), "--scanners", "marker", "-f", "json")
    assert {f["rule_id"] for f in json.loads(outcome.out)["findings"]} == {"FAKE-001"}
    bad = run_cli("scan", str(project), "--scanners", "nope")
    assert bad.code == 2
    assert "unknown scanner 'nope'; choose from" in bad.err
    assert "Traceback" not in bad.err


def test_baseline_reports_and_gates_only_new_findings(
    run_cli: RunCli, project: Path, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    first = run_cli("scan", str(project), "--format", "json", "--output", str(baseline))
    assert first.code == 1
    # Unrelated lines added above keep the old finding "unchanged".
    (project / "notes.txt").write_text("new intro\nmore\nintro\nSECURITY-MARKER one\n")
    assert run_cli("scan", str(project), "--baseline", str(baseline)).code == 0
    (project / "notes.txt").write_text("SECURITY-MARKER two\nSECURITY-MARKER one\n")
    outcome = run_cli("scan", str(project), "--baseline", str(baseline), "-f", "json")
    assert outcome.code == 1
    states = {(f["message"], f["baseline_state"]) for f in json.loads(outcome.out)["findings"]}
    assert ("marker found: SECURITY-MARKER two", "new") in states
    assert ("marker found: SECURITY-MARKER one", "unchanged") in states


def test_invalid_baseline_is_a_tool_failure(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    outcome = run_cli("scan", str(project), "--baseline", str(broken))
    assert outcome.code == 3
    assert f"{broken}: not a secloop JSON report" in outcome.err


def test_ignore_file_with_expiry(run_cli: RunCli, project: Path) -> None:
    (project / "requirements.txt").write_text("good==1.0\n")
    ignore = project / ".secloopignore.yaml"
    ignore.write_text("suppressions:\n  - rule: FAKE-001\n    reason: demo marker\n")
    outcome = run_cli("scan", str(project), "-f", "json")
    assert outcome.code == 0
    (finding,) = json.loads(outcome.out)["findings"]
    assert finding["suppression"]["reason"] == "demo marker"
    ignore.write_text(
        "suppressions:\n  - rule: FAKE-001\n    reason: demo marker\n    expires: 2020-01-01\n"
    )
    expired = run_cli("scan", str(project))
    assert expired.code == 1
    assert "suppression expired on 2020-01-01; no longer applied" in expired.err
    assert run_cli("scan", str(project), "--quiet").err == ""


def test_invalid_ignore_file_is_a_usage_error(run_cli: RunCli, project: Path) -> None:
    (project / ".secloopignore.yaml").write_text("suppressions:\n  - rule: X\n")
    outcome = run_cli("scan", str(project))
    assert outcome.code == 2
    assert ".secloopignore.yaml: suppressions.0.reason: Field required" in outcome.err


def test_inline_suppression_end_to_end(run_cli: RunCli, project: Path) -> None:
    (project / "requirements.txt").write_text("good==1.0\n")
    (project / "notes.txt").write_text("SECURITY-MARKER  # secloop:ignore FAKE-001 known\n")
    outcome = run_cli("scan", str(project), "-f", "sarif")
    assert outcome.code == 0
    (result,) = json.loads(outcome.out)["runs"][0]["results"]
    assert result["suppressions"][0]["kind"] == "inSource"


def test_fail_closed_when_nothing_could_be_scanned(run_cli: RunCli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "image.png").write_bytes(b"\x89PNG")
    outcome = run_cli("scan", str(empty), "-f", "json", "-o", str(tmp_path / "r.json"))
    assert outcome.code == 3
    assert "could be scanned" in outcome.err
    assert "--allow-empty" in outcome.err
    assert (tmp_path / "r.json").is_file()  # the report still says why
    assert run_cli("scan", str(empty), "--allow-empty").code == 0


def test_missing_target_and_bad_options(run_cli: RunCli, tmp_path: Path) -> None:
    missing = run_cli("scan", str(tmp_path / "nope"))
    assert missing.code == 3
    assert "no such file or directory" in missing.err
    bad_format = run_cli("scan", str(tmp_path), "--format", "xml")
    assert bad_format.code == 2
    assert "'table', 'json', 'sarif', 'junit', 'html'" in bad_format.err
    bad_severity = run_cli("scan", str(tmp_path), "--severity", "HUGE")
    assert bad_severity.code == 2
    assert "unknown severity 'HUGE'" in bad_severity.err
    assert run_cli("scan", str(tmp_path), "--no-such-option").code == 2


def test_config_file_and_unknown_key(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    (tmp_path / "secloop.yaml").write_text("fail_on: CRITICAL\nformat: json\n")
    outcome = run_cli("scan", str(project))
    assert json.loads(outcome.out)["schema_version"] == "1"
    assert outcome.code == 1  # FAKE-PKG is CRITICAL
    assert run_cli("scan", str(project), "--fail-on", "critical", "--scanners", "marker").code == 0
    (tmp_path / "secloop.yaml").write_text("fail-on: HIGH\n")
    bad = run_cli("scan", str(project))
    assert bad.code == 2
    assert "unknown key 'fail-on'" in bad.err
    other = tmp_path / "other.yaml"
    other.write_text("exclude: ['notes.txt']\ngitignore: false\n")
    excluded = run_cli("scan", str(project), "--config", str(other), "-f", "json")
    assert {f["rule_id"] for f in json.loads(excluded.out)["findings"]} == {"FAKE-PKG"}


def test_every_format_writes_a_file(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    for fmt, check in (
        ("json", "schema_version"),
        ("sarif", '"2.1.0"'),
        ("junit", "<testsuites"),
        ("html", "<html"),
        ("table", "FAKE-001"),
    ):
        target = tmp_path / "reports" / f"report.{fmt}"
        assert run_cli("scan", str(project), "-f", fmt, "-o", str(target)).code == 1
        assert check in target.read_text()


def test_unwritable_output_is_reported(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    outcome = run_cli("scan", str(project), "-o", str(blocker / "sub" / "r.txt"))
    assert outcome.code == 3
    assert "cannot write the report" in outcome.err


def test_debug_shows_the_traceback(project: Path, fake_registry: object) -> None:
    from secloop.cli import main
    from secloop.core.errors import UsageError

    with pytest.raises(UsageError):
        main(["scan", str(project), "--scanners", "nope", "--debug"])


def test_version(run_cli: RunCli) -> None:
    from secloop import __version__

    assert __version__ in run_cli("version").out
    assert json.loads(run_cli("version", "--format", "json").out)["secloop"] == __version__
    assert __version__ in run_cli("--version").out
    assert run_cli("--help").code == 0
