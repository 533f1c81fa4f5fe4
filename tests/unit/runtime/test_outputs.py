"""Alert outputs: the throttle, the line sinks, sink isolation, ``--output`` parsing, the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.core.errors import ConfigError, UsageError
from secloop.core.finding import FindingKind
from secloop.core.severity import Severity
from secloop.output.json_format import load_result
from secloop.runtime.event import Alert, Priority
from secloop.runtime.outputs.dispatch import Dispatcher
from secloop.runtime.outputs.findings import FindingsServerSink, alert_finding, alerts_report
from secloop.runtime.outputs.interface import AlertSink, Notice, SinkError
from secloop.runtime.outputs.spec import (
    OutputKind,
    OutputSpec,
    SinkContext,
    build_sinks,
    parse_output,
)
from secloop.runtime.outputs.stream import JsonLinesSink, LineFormat, StdoutSink
from secloop.runtime.outputs.throttle import (
    Throttle,
    ThrottleConfig,
    ThrottleSettings,
    load_throttle_file,
    parse_rate,
)
from secloop.runtime.outputs.webhook import WebhookSink
from tests.unit.runtime.helpers import one_rule

SECOND = 1_000_000_000


def alert(
    rule: str = "r", output: str = "out", at: float = 0.0, fields: dict[str, str] | None = None
) -> Alert:
    return Alert(
        rule=rule,
        priority=Priority.ERROR,
        output=output,
        time_ns=1_700_000_000 * SECOND + int(at * SECOND),
        fields={"proc.name": "sh", **(fields or {})},
        tags=("container", "mitre_execution", "T1059", "T1611.001"),
        source="syscall",
    )


class ListSink(AlertSink):
    name = "list"

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[Notice] = []
        self.closed = False

    def emit(self, notice: Notice) -> None:
        self.notices.append(notice)
        self.stats.delivered += 1

    def close(self) -> None:
        self.closed = True


class BrokenSink(AlertSink):
    name = "broken"

    def emit(self, notice: Notice) -> None:
        raise SinkError("disk full")

    def close(self) -> None:
        raise OSError("cannot close")


# -- throttle ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_second"), [("5/s", 5.0), ("60/m", 1.0), ("7200 / hour", 2.0), ("0.5/sec", 0.5)]
)
def test_parse_rate(text: str, per_second: float) -> None:
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["5", "0/s", "5/day", "-1/s", "x/s"])
def test_parse_rate_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="expected a positive N/s"):
        parse_rate(text)


def test_rate_limit_is_a_token_bucket_per_rule_and_counts_the_excess() -> None:
    throttle = Throttle(ThrottleConfig(default=ThrottleSettings(rate=2.0)))
    emitted = []
    for n in range(10):  # ten alerts of rule a within 0.9 s, and one of rule b
        emitted += throttle.process(alert("a", f"o{n}", at=n * 0.1))
    emitted += throttle.process(alert("b", "x", at=0.95))
    assert [n.alert.output for n in emitted] == ["o0", "o1", "o5", "x"]
    assert throttle.suppressed == {"a": 7}
    later = throttle.process(alert("a", "late", at=5.0))
    assert [n.alert.output for n in later] == ["late"]


def test_alerts_out_of_order_do_not_refill_the_bucket() -> None:
    throttle = Throttle(ThrottleConfig(default=ThrottleSettings(rate=1.0, burst=1)))
    assert throttle.process(alert(at=10))
    assert not throttle.process(alert(at=2))
    assert throttle.suppressed["r"] == 1


def test_dedupe_window_emits_once_then_a_summary_with_the_count() -> None:
    throttle = Throttle(ThrottleConfig(default=ThrottleSettings(dedupe_window=10)))
    first = throttle.process(alert(at=0))
    assert [(n.alert.time_ns, n.repeats) for n in first] == [(alert(at=0).time_ns, 1)]
    for at in (1, 2, 3):
        assert throttle.process(alert(at=at)) == []
    assert throttle.process(alert(output="other", at=4))[0].alert.output == "other"
    after = throttle.process(alert(at=11))
    assert [(n.repeats, n.alert.time_ns) for n in after] == [
        (3, alert(at=3).time_ns),
        (1, alert(at=11).time_ns),
    ]
    assert throttle.folded == {"r": 3}
    assert throttle.process(alert(at=12)) == []
    assert [n.repeats for n in throttle.flush()] == [1]
    assert throttle.flush() == []


def test_open_windows_are_bounded() -> None:
    throttle = Throttle(ThrottleConfig(default=ThrottleSettings(dedupe_window=60)), max_windows=2)
    out = [n for o in ("a", "b", "c", "c") for n in throttle.process(alert(output=o))]
    assert [n.alert.output for n in out] == ["a", "b", "c", "c"]


def test_a_window_without_repeats_closes_silently() -> None:
    throttle = Throttle(ThrottleConfig(default=ThrottleSettings(dedupe_window=1)))
    throttle.process(alert(at=0))
    assert [n.alert.output for n in throttle.process(alert(output="x", at=5))] == ["x"]


def test_per_rule_settings_override_the_default() -> None:
    config = ThrottleConfig(
        default=ThrottleSettings(rate=100.0),
        rules={"quiet": ThrottleSettings(rate=1.0, burst=1.0)},
    )
    throttle = Throttle(config)
    out = [n for at in (0, 0.1, 0.2) for n in throttle.process(alert("quiet", str(at), at=at))]
    out += [n for at in (0, 0.1, 0.2) for n in throttle.process(alert("loud", str(at), at=at))]
    assert len(out) == 4
    assert throttle.suppressed == {"quiet": 2}
    assert config.active
    assert not ThrottleConfig().active


def test_throttle_file(tmp_path: Path) -> None:
    path = tmp_path / "throttle.yaml"
    path.write_text(
        "default:\n  rate_limit: 10/s\nrules:\n"
        "  Terminal shell in container:\n    rate_limit: 1/m\n    dedupe_window: 300\n"
        "  Noisy:\n    burst: 50\n"
    )
    config = load_throttle_file(path, ThrottleSettings(dedupe_window=5))
    assert config.default == ThrottleSettings(rate=10.0, dedupe_window=5)
    assert config.for_rule("Terminal shell in container") == ThrottleSettings(
        rate=1 / 60, dedupe_window=300
    )
    assert config.for_rule("Noisy") == ThrottleSettings(rate=10.0, burst=50, dedupe_window=5)
    assert config.for_rule("other") == config.default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  r:\n    rate: 5/s\n", "rules.r.rate: Extra inputs are not permitted"),
        ("default:\n  rate_limit: often\n", "default.rate_limit: Value error, rate limit"),
        ("default:\n  dedupe_window: -1\n", "default.dedupe_window: Value error, must not"),
        ("default: [\n", "not YAML"),
    ],
)
def test_bad_throttle_files_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_throttle_file(path)
    assert str(path) in caught.value.message
    with pytest.raises(ConfigError, match="cannot read"):
        load_throttle_file(tmp_path / "missing.yaml")


# -- sinks and the dispatcher ----------------------------------------------------------------


def test_stdout_sink_formats() -> None:
    lines: list[str] = []
    StdoutSink(lines.append).emit(Notice(alert(), repeats=3))
    StdoutSink(lines.append, LineFormat.TEXT).emit(Notice(alert(), repeats=3))
    StdoutSink(lines.append, LineFormat.TEXT).emit(Notice(alert()))
    document = json.loads(lines[0])
    assert (document["rule"], document["repeats"], document["fields"]) == (
        "r",
        3,
        {"proc.name": "sh"},
    )
    assert lines[1].endswith("Error out (repeated 3 times)")
    assert lines[2].endswith("Error out")


def test_jsonl_sink_appends_and_flushes(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_text('{"earlier": true}\n')
    sink = JsonLinesSink(path)
    sink.emit(Notice(alert()))
    assert len(path.read_text().splitlines()) == 2  # flushed before close
    sink.close()
    sink.close()
    assert json.loads(path.read_text().splitlines()[1])["rule"] == "r"


def test_jsonl_sink_reports_an_unwritable_path(tmp_path: Path) -> None:
    sink = JsonLinesSink(tmp_path / "missing-dir" / "alerts.jsonl")
    with pytest.raises(SinkError, match="cannot write alerts to"):
        sink.emit(Notice(alert()))


def test_a_failing_sink_does_not_stop_the_others() -> None:
    good, broken = ListSink(), BrokenSink()
    dispatcher = Dispatcher([broken, good])
    for n in range(3):
        dispatcher.handle(alert(output=str(n)))
    dispatcher.close()
    assert [n.alert.output for n in good.notices] == ["0", "1", "2"]
    assert good.closed
    assert broken.stats.failed == 3
    assert dispatcher.lost == 3
    summary = dispatcher.summary_lines()
    assert "output broken: disk full" in summary
    assert "output broken: cannot close: cannot close" in summary
    assert "output broken: 0 delivered, 3 failed, 0 dropped" in summary


def test_dispatcher_reports_suppressed_and_folded_alerts() -> None:
    sink = ListSink()
    settings = ThrottleSettings(rate=1.0, burst=1.0, dedupe_window=60)
    dispatcher = Dispatcher([sink], Throttle(ThrottleConfig(default=settings)))
    for at, output in [(0, "a"), (0.1, "a"), (0.2, "b"), (0.3, "a")]:
        dispatcher.handle(alert(output=output, at=at))
    dispatcher.close()
    assert [(n.alert.output, n.repeats) for n in sink.notices] == [("a", 1), ("a", 2)]
    assert dispatcher.summary_lines() == [
        "rate limit suppressed 1 alert(s) of rule 'r'",
        "de-duplication folded 2 repeated alert(s) of rule 'r'",
    ]


# -- --output --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stdout", OutputSpec(OutputKind.STDOUT)),
        ("jsonl:/tmp/a b.jsonl", OutputSpec(OutputKind.JSONL, "/tmp/a b.jsonl")),
        ("webhook:https://h/x?a=1", OutputSpec(OutputKind.WEBHOOK, "https://h/x?a=1")),
        ("SERVER:http://127.0.0.1:8000", OutputSpec(OutputKind.SERVER, "http://127.0.0.1:8000")),
    ],
)
def test_parse_output(text: str, expected: OutputSpec) -> None:
    assert parse_output(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("syslog", "unknown output"),
        ("stdout:x", "takes no argument"),
        ("jsonl:", "needs a target"),
        ("webhook:ftp://h", "must start with http"),
    ],
)
def test_parse_output_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_output(text)


def test_build_sinks_of_every_kind(tmp_path: Path) -> None:
    uploads: list[str] = []
    context = SinkContext(
        write=print, uploader=lambda url: uploads.append, target="t", tool_version="1"
    )
    specs = [
        parse_output("stdout"),
        parse_output(f"jsonl:{tmp_path / 'a.jsonl'}"),
        parse_output("webhook:http://127.0.0.1:9/x"),
        parse_output("server:http://127.0.0.1:9"),
    ]
    sinks = build_sinks(specs, context)
    assert [type(s) for s in sinks] == [
        StdoutSink,
        JsonLinesSink,
        WebhookSink,
        FindingsServerSink,
    ]
    sinks[2].close()
    with pytest.raises(UsageError, match="needs --project"):
        build_sinks([parse_output("server:http://h")], SinkContext(write=print))


# -- runtime findings ------------------------------------------------------------------------


def test_alert_finding() -> None:
    finding = alert_finding(alert(fields={"k8s.pod.name": "web-1", "k8s.ns.name": "shop"}))
    assert finding.kind is FindingKind.RUNTIME
    assert (finding.rule_id, finding.title, finding.message) == ("r", "r", "out")
    assert finding.severity is Severity.HIGH
    assert finding.frameworks == {"mitre-attack": ("T1059", "T1611.001")}
    assert finding.location.resource is not None
    assert finding.location.resource.display == "Pod/shop/web-1"
    assert json.loads(finding.evidence or "")["fields"]["k8s.pod.name"] == "web-1"
    audit = alert_finding(
        alert(
            fields={
                "ka.target.name": "s",
                "ka.target.resource": "secrets",
                "ka.target.namespace": "",
            }
        )
    )
    assert audit.location.resource is not None
    assert audit.location.resource.display == "secrets/s"
    assert alert_finding(alert()).location.resource is None


def test_alerts_report_is_a_secloop_json_report_of_distinct_alerts() -> None:
    batch = [alert(at=0), alert(at=1), alert(output="other", at=2)]
    text = alerts_report(batch, target="node-1", source="syscall", tool_version="9")
    result = load_result(text, source="test")
    assert [f.message for f in result.findings] == ["out", "other"]
    assert {f.kind for f in result.findings} == {FindingKind.RUNTIME}
    assert all(f.fingerprint for f in result.findings)
    assert result.target.name == "node-1"
    assert result.rules["r"].kind is FindingKind.RUNTIME
    assert (result.finished_at - result.started_at).total_seconds() == 2


def test_findings_sink_batches_flushes_on_time_and_counts_failures() -> None:
    uploads: list[str] = []
    now = [0.0]
    sink = FindingsServerSink(
        uploads.append, target="t", tool_version="1", batch_size=2, clock=lambda: now[0]
    )
    sink.emit(Notice(alert()))
    assert uploads == []
    sink.emit(Notice(alert(output="2")))
    assert len(uploads) == 1
    sink.emit(Notice(alert(output="3")))
    now[0] = 11.0
    sink.emit(Notice(alert(output="4")))
    assert len(uploads) == 2
    sink.close()
    sink.close()
    assert (sink.uploads, sink.stats.delivered) == (2, 4)

    def refuse(report: str) -> None:
        raise SinkError("server said no")

    failing = FindingsServerSink(refuse, target="t", tool_version="1")
    failing.emit(Notice(alert()))
    failing.close()
    assert failing.stats.failed == 1
    assert failing.stats.reasons == ["server: server said no"]


# -- the CLI ---------------------------------------------------------------------------------

EVENT = {
    "kind": "Event",
    "verb": "delete",
    "stage": "ResponseComplete",
    "user": {"username": "bob"},
    "objectRef": {"resource": "secrets", "name": "s"},
    "stageTimestamp": "2024-05-01T10:00:00Z",
}


def files(tmp_path: Path, count: int) -> tuple[Path, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(one_rule("ka.verb = delete", source="k8s_audit", output="by %ka.user.name"))
    events = tmp_path / "events.jsonl"
    with events.open("w") as stream:
        for n in range(count):
            stamp = f"2024-05-01T10:00:{n:02d}Z"
            stream.write(json.dumps({**EVENT, "stageTimestamp": stamp}) + "\n")
    return rules, events


def test_detect_with_several_outputs_and_a_rate_limit(tmp_path: Path) -> None:
    rules, events = files(tmp_path, 10)
    jsonl = tmp_path / "alerts.jsonl"
    result = CliRunner().invoke(
        detect_command,
        [
            "--rules",
            str(rules),
            "--input",
            str(events),
            "--output",
            "stdout",
            "--output",
            f"jsonl:{jsonl}",
            "--rate-limit",
            "1/m",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    assert len(jsonl.read_text().splitlines()) == 1
    assert "10 events, 10 alerts, 0 dropped" in result.stderr
    assert "rate limit suppressed 9 alert(s) of rule 'r'" in result.stderr


def test_detect_dedupe_window_prints_a_repeat_count(tmp_path: Path) -> None:
    rules, events = files(tmp_path, 5)
    result = CliRunner().invoke(
        detect_command,
        ["--rules", str(rules), "--input", str(events), "--dedupe-window", "60"],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("repeats", 1) for line in lines] == [1, 4]
    assert "de-duplication folded 4 repeated alert(s)" in result.stderr


def test_detect_throttle_config_and_a_failing_output(tmp_path: Path) -> None:
    rules, events = files(tmp_path, 3)
    throttle = tmp_path / "throttle.yaml"
    throttle.write_text("rules:\n  r:\n    rate_limit: 2/m\n    burst: 2\n")
    result = CliRunner().invoke(
        detect_command,
        [
            "--rules",
            str(rules),
            "--input",
            str(events),
            "--throttle-config",
            str(throttle),
            "--output",
            "stdout",
            "--output",
            f"jsonl:{tmp_path / 'no-such-dir' / 'a.jsonl'}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2
    assert "0 delivered, 2 failed, 0 dropped" in result.stderr
    assert "rate limit suppressed 1 alert(s)" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--output", "nope"], "unknown output"),
        (["--output", "server:http://127.0.0.1:9"], "needs --project"),
        (["--rate-limit", "fast"], "expected a positive N/s"),
        (["--listen", "127.0.0.1:9"], "exactly one of --input FILE and --listen"),
        (["--auth-token", "x"], "go with --listen"),
    ],
)
def test_detect_usage_errors(tmp_path: Path, extra: list[str], message: str) -> None:
    rules, events = files(tmp_path, 1)
    result = CliRunner().invoke(
        detect_command, ["--rules", str(rules), "--input", str(events), *extra]
    )
    assert result.exit_code != 0
    assert message in result.output + str(result.exception)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--source", "tetragon"], "use --source k8s_audit"),
        (["--follow"], "does not go with --listen"),
        (["--tls-cert", "RULES"], "go together"),
        (["--listen", "nohost"], "expected HOST:PORT"),
    ],
)
def test_detect_listen_usage_errors(tmp_path: Path, extra: list[str], message: str) -> None:
    rules, _ = files(tmp_path, 1)
    args = ["--rules", str(rules), "--listen", "127.0.0.1:0"]
    args += [str(rules) if item == "RULES" else item for item in extra]
    result = CliRunner().invoke(detect_command, args)
    assert result.exit_code != 0
    assert message in result.output + str(result.exception)


def test_detect_reads_stdin(tmp_path: Path) -> None:
    rules, events = files(tmp_path, 2)
    result = CliRunner().invoke(
        detect_command,
        ["--rules", str(rules), "--input", "-", "--format", "text"],
        input=io.BytesIO(events.read_bytes()),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Warning by bob") == 2


def test_detect_on_a_file_does_not_load_the_server_stack(tmp_path: Path) -> None:
    import subprocess
    import sys

    rules, events = files(tmp_path, 1)
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from secloop.cli.runtime import detect_command\n"
        f"result = CliRunner().invoke(detect_command, ['--rules', {str(rules)!r}, "
        f"'--input', {str(events)!r}, '--output', 'jsonl:{tmp_path / 'a.jsonl'}'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('uvicorn', 'starlette', 'fastapi', 'httpx') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
