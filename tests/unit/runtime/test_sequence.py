"""Sequence rules: loading, per-key state machines, expiry, bounded memory, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.runtime.engine import Engine
from secloop.runtime.event import Event, Priority
from secloop.runtime.rules.loader import Collector
from secloop.runtime.sequence import (
    ConditionContext,
    SequenceEngine,
    SequenceError,
    load_sequences,
    parse_duration,
)
from secloop.runtime.sources.replay import ReplaySource
from tests.conftest import PROJECT_ROOT, corpus_path
from tests.unit.runtime.helpers import ruleset

EXAMPLES = PROJECT_ROOT / "examples" / "runtime"
STABLE = ("falco-rules", "rules", "falco_rules.yaml")
SECOND = 1_000_000_000

PRELUDE = """
- macro: spawned_process
  condition: evt.type = execve
- list: shells
  items: [bash, sh]
"""

SEQUENCE = """
- sequence: shell then connect
  desc: a shell, then a connect, in one container
  by: container.id
  within: 10s
  priority: error
  output: "connect after shell (container=%container.id proc=%proc.name)"
  tags: [t1]
  steps:
    - name: shell
      condition: spawned_process and proc.name in (shells)
    - name: connect
      condition: evt.type = connect
"""


def context(prelude: str = PRELUDE) -> ConditionContext:
    collector = Collector()
    collector.load_text(prelude, "prelude.yaml")
    return ConditionContext(collector)


def sequences_file(tmp_path: Path, text: str = SEQUENCE) -> Path:
    path = tmp_path / "sequences.yaml"
    path.write_text(text)
    return path


def engine(tmp_path: Path, text: str = SEQUENCE, **options: Any) -> SequenceEngine:
    return SequenceEngine(load_sequences(sequences_file(tmp_path, text), context()), **options)


def event(at_s: float, **fields: object) -> Event:
    return Event(source="syscall", time_ns=int(at_s * SECOND), payload=fields)


def shell(at_s: float, container: str = "c1") -> Event:
    return event(at_s, **{"evt.type": "execve", "proc.name": "bash", "container.id": container})


def connect(at_s: float, container: str = "c1") -> Event:
    return event(at_s, **{"evt.type": "connect", "proc.name": "nc", "container.id": container})


def test_steps_in_order_on_one_key_raise_one_alert(tmp_path: Path) -> None:
    sequences = engine(tmp_path)
    events = [connect(0), shell(1), shell(2, "c2"), connect(3, "c3"), connect(4)]
    alerts = [a for e in events for a in sequences.process(e)]
    [alert] = alerts
    assert alert.rule == "shell then connect"
    assert alert.priority is Priority.ERROR
    assert alert.output == "connect after shell (container=c1 proc=nc)"
    assert alert.tags == ("t1",)
    assert alert.time_ns == 4 * SECOND
    assert alert.fields == {
        "container.id": "c1",
        "proc.name": "nc",
        "step1.time": "1970-01-01T00:00:01.000000000Z",
        "step1.container.id": "c1",
        "step1.proc.name": "bash",
        "step2.time": "1970-01-01T00:00:04.000000000Z",
        "step2.container.id": "c1",
        "step2.proc.name": "nc",
    }
    assert alert.explanation == (
        "step 1/2 shell at 1970-01-01T00:00:01.000000000Z: container.id=c1, proc.name=bash",
        "step 2/2 connect at 1970-01-01T00:00:04.000000000Z: container.id=c1, proc.name=nc",
    )
    assert (sequences.stats.started, sequences.stats.completed) == (2, 1)
    assert sequences.stats.tracked == 1  # c2 is still waiting for its connect


def test_a_match_older_than_the_window_expires(tmp_path: Path) -> None:
    sequences = engine(tmp_path)
    assert sequences.process(shell(0)) == []
    assert sequences.process(connect(11)) == []  # 11 s > within 10 s: dropped, not advanced
    assert sequences.stats.expired == 1
    assert sequences.process(shell(12)) == []
    assert [a.rule for a in sequences.process(connect(13))] == ["shell then connect"]


def test_events_without_the_key_or_of_other_sources_are_ignored(tmp_path: Path) -> None:
    sequences = engine(tmp_path)
    assert sequences.process(event(0, **{"evt.type": "execve", "proc.name": "bash"})) == []
    other = Event(source="k8s_audit", time_ns=0, payload={})
    assert sequences.process(other) == []
    assert sequences.stats.started == 0


def test_memory_is_bounded_by_evicting_the_least_recent_key(tmp_path: Path) -> None:
    sequences = engine(tmp_path, max_keys=2)
    for number, name in enumerate(("a", "b", "c")):
        sequences.process(shell(number, name))
    assert (sequences.stats.evicted, sequences.stats.tracked) == (1, 2)
    assert sequences.process(connect(5, "a")) == []  # "a" was evicted
    assert len(sequences.process(connect(5, "c"))) == 1
    with pytest.raises(ValueError, match="max_keys"):
        SequenceEngine((), max_keys=0)


def test_a_failing_step_is_counted_and_skipped(tmp_path: Path) -> None:
    [loaded] = load_sequences(sequences_file(tmp_path), context())

    def explode(event: Event) -> bool:
        raise RuntimeError("boom")

    broken = replace(loaded, steps=(replace(loaded.steps[0], predicate=explode), loaded.steps[1]))
    sequences = SequenceEngine([broken])
    assert sequences.process(shell(0)) == []
    assert sequences.stats.step_errors == {"shell then connect/shell": 1}
    assert sequences.stats.started == 0


def test_engine_runs_sequences_after_rules_over_a_replay_source(tmp_path: Path) -> None:
    rules = ruleset(
        PRELUDE + "\n- rule: any connect\n  desc: d\n  condition: evt.type = connect"
        "\n  output: c\n  priority: NOTICE\n  source: syscall\n"
    )
    combined = Engine(rules, detectors=[engine(tmp_path)])
    source = ReplaySource("syscall", [shell(1), connect(2)])
    assert [a.rule for a in combined.run(source)] == ["any connect", "shell then connect"]
    assert combined.stats.alerts == 2
    assert combined.stats.by_rule["shell then connect"] == 1


def test_the_shipped_example_fires_on_its_events_with_falco_macros() -> None:
    rules = corpus_path(*STABLE)
    shipped = load_sequences(EXAMPLES / "sequences.yaml", ConditionContext.from_files([rules]))
    sequences = SequenceEngine(shipped)
    lines = (EXAMPLES / "shell-connect-etc.jsonl").read_text().splitlines()
    from secloop.runtime.sources.falco_json import FalcoJsonSource

    alerts = list(
        Engine(ruleset(""), detectors=[sequences]).run(
            FalcoJsonSource(str(EXAMPLES / "shell-connect-etc.jsonl"))
        )
    )
    assert len(lines) == 5
    [alert] = alerts
    assert alert.rule == "Shell then outbound connect then write below etc in container"
    assert alert.fields["step1.proc.name"] == "bash"
    assert alert.fields["step2.proc.name"] == "curl"
    assert alert.fields["fd.name"] == "/etc/passwd"


def test_cli_runs_sequences_and_reports_their_counts() -> None:
    rules = corpus_path(*STABLE)
    result = CliRunner().invoke(
        detect_command,
        [
            "--rules",
            str(rules),
            "--sequences",
            str(EXAMPLES / "sequences.yaml"),
            "--source",
            "falco_json",
            "--input",
            str(EXAMPLES / "shell-connect-etc.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    sequence_alerts = [x for x in lines if x["rule"].startswith("Shell then outbound")]
    assert len(sequence_alerts) == 1
    assert sequence_alerts[0]["why"][0].startswith("step 1/3 shell at 2026-11-28T10:00:01")
    assert "sequences: 1 started, 1 completed, 0 expired, 0 evicted" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "expected a list"),
        ("- 3", "item 1: each item must be a mapping"),
        ("- sequence: s\n  color: red", "sequence 's': unknown key(s) color"),
        ("- sequence: s\n  by: x", "missing key(s) within, steps, output, priority"),
        (SEQUENCE.replace("within: 10s", "within: soon"), "not a duration"),
        (SEQUENCE.replace("by: container.id", "by: nope.field"), "by: 'nope.field' is not a field"),
        (SEQUENCE.replace("by: container.id", "by: []"), "by: at least one field"),
        (SEQUENCE.replace("priority: error", "priority: loud"), "unknown priority"),
        (SEQUENCE.replace("%proc.name", "%proc.nope"), "output: invalid formatting token"),
        (
            SEQUENCE.replace("evt.type = connect", "undefined_macro"),
            "steps[2] (connect): Undefined",
        ),
        (SEQUENCE.replace("evt.type = connect", "evt.type = ("), "steps[2] (connect): "),
        (SEQUENCE.replace("evt.type = connect", "nope.x = 1"), "nonexistent field nope.x"),
        (SEQUENCE + "  source: nowhere\n", "unknown source 'nowhere'"),
        (SEQUENCE.split("    - name: connect", maxsplit=1)[0], "at least two steps"),
        (SEQUENCE.replace("      condition: evt.type = connect", "      when: x"), "steps[2]: a"),
        (SEQUENCE + SEQUENCE, "defined twice"),
        (SEQUENCE.replace("tags: [t1]", "tags: [1]"), "tags: a string or a list"),
        (SEQUENCE.replace('output: "connect', 'output: ""\n  x: "'), "unknown key(s) x"),
        (
            "- sequence: s\n  by: proc.name\n  within: 1\n  steps: []\n  output: ''\n  priority: x",
            "output: a non-empty string",
        ),
        ("- [", "cannot read sequences file"),
    ],
)
def test_bad_sequences_files_are_refused_with_the_item_and_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(
        SequenceError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        load_sequences(sequences_file(tmp_path, text), context())


def test_an_empty_file_has_no_sequences(tmp_path: Path) -> None:
    assert load_sequences(sequences_file(tmp_path, ""), context()) == ()


def test_macros_with_syntax_errors_are_unusable_but_not_fatal(tmp_path: Path) -> None:
    broken = context(PRELUDE + "- macro: bad\n  condition: evt.type = (\n")
    text = SEQUENCE.replace("evt.type = connect", "bad")
    with pytest.raises(SequenceError, match="macro 'bad' has errors"):
        load_sequences(sequences_file(tmp_path, text), broken)


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("500ms", 500_000_000),
        ("30s", 30 * SECOND),
        ("5m", 300 * SECOND),
        ("1h", 3600 * SECOND),
        (2, 2 * SECOND),
        ("1.5", 1_500_000_000),
    ],
)
def test_durations(text: object, nanos: int) -> None:
    assert parse_duration(text) == nanos


@pytest.mark.parametrize("text", ["0s", "-1s", "soon", True, None, [1]])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
