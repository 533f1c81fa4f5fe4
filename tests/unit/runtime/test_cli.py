"""``secloop detect`` and ``secloop rules check`` through click, as the lead will register them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from secloop.cli.runtime import detect_command, rules_group
from tests.unit.runtime.helpers import one_rule

EVENT = {
    "kind": "Event",
    "verb": "delete",
    "stage": "ResponseComplete",
    "user": {"username": "bob"},
    "objectRef": {"resource": "secrets", "name": "s"},
    "stageTimestamp": "2024-05-01T10:00:00Z",
}


def files(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        one_rule("ka.verb = delete", source="k8s_audit", output="deleted by %ka.user.name")
    )
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(EVENT) + "\n")
    return rules, events


def test_detect_prints_json_alerts(tmp_path: Path) -> None:
    rules, events = files(tmp_path)
    result = CliRunner().invoke(
        detect_command, ["--rules", str(rules), "--input", str(events), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["rule"] == "r"
    assert line["output"] == "deleted by bob"
    assert line["priority"] == "Warning"
    assert line["time"] == "2024-05-01T10:00:00.000000000Z"
    assert line["fields"] == {"ka.user.name": "bob"}


def test_detect_text_format_and_fail_on_alert(tmp_path: Path) -> None:
    rules, events = files(tmp_path)
    result = CliRunner().invoke(
        detect_command,
        ["--rules", str(rules), "--input", str(events), "--format", "text", "--fail-on-alert"],
    )
    assert result.exit_code == 1
    assert result.stdout.strip() == "10:00:00.000000000: Warning deleted by bob"


def test_detect_without_usable_rules_is_a_usage_error(tmp_path: Path) -> None:
    _, events = files(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- rule: x\n")
    result = CliRunner().invoke(detect_command, ["--rules", str(broken), "--input", str(events)])
    assert result.exit_code != 0


def test_rules_check_exit_codes(tmp_path: Path) -> None:
    rules, _ = files(tmp_path)
    runner = CliRunner()
    clean = runner.invoke(rules_group, ["check", str(rules)])
    assert clean.exit_code == 0, clean.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(one_rule("evt.type = open and proc.nobody = x"))
    failed = runner.invoke(rules_group, ["check", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:4:35: error: rule 'r'" in failed.stdout
    assert "proc.nobody" in failed.stdout
    missing = runner.invoke(rules_group, ["check", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2


def test_rules_check_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- macro: m\n  condition: evt.type = open\n")
    result = CliRunner().invoke(rules_group, ["check", "--format", "json", str(bad)])
    [diagnostic] = json.loads(result.stdout)
    assert diagnostic["code"] == "LOAD_UNUSED_MACRO"
    assert diagnostic["line"] == 1
    assert result.exit_code == 0
