"""``secloop detect`` and ``secloop rules check``: runtime rules from the command line.

Thin by design: options are parsed here, the work is in :mod:`secloop.runtime`,
which is imported inside the commands so that ``import secloop.cli`` stays light.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from secloop.cli.rules import rules_list_command, rules_show_command
from secloop.cli.runtime_io import (
    io_options,
    open_events,
    open_outputs,
    output_options,
    print_output_summary,
    stop_on_signals,
)

if TYPE_CHECKING:
    from secloop.runtime.baseline import BaselineEnforcer, BaselineLearner
    from secloop.runtime.engine import Engine
    from secloop.runtime.rules.diagnostics import Diagnostic
    from secloop.runtime.rules.ruleset import Ruleset
    from secloop.runtime.sequence import SequenceEngine
    from secloop.runtime.sources.interface import SourceStats

__all__ = ["detect_command", "rules_group", "sensor_command"]

SOURCE_CHOICES = ("k8s_audit", "falco_json", "tetragon")
PRIORITY_CHOICES = (
    "EMERGENCY",
    "ALERT",
    "CRITICAL",
    "ERROR",
    "WARNING",
    "NOTICE",
    "INFORMATIONAL",
    "DEBUG",
)
_RULES_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: The rules files of ``detect`` and ``sensor``, loaded in the order given.
_RULES_OPTION = click.option(
    "--rules",
    "rules_files",
    multiple=True,
    required=True,
    type=_RULES_FILE,
    help="A Falco rules file; repeat to load several, in order (later ones override).",
)


@click.command("detect")
@_RULES_OPTION
@click.option(
    "--source",
    type=click.Choice(SOURCE_CHOICES),
    default="k8s_audit",
    show_default=True,
    help="What the input holds.",
)
@click.option(
    "--input",
    "input_path",
    metavar="FILE",
    help="Events to replay: JSON lines, a JSON array or an EventList; '-' for stdin.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="One JSON alert per line, or Falco-like text lines.",
)
@click.option(
    "--rule-matching",
    type=click.Choice(["first", "all"]),
    default="first",
    show_default=True,
    help="Alert on the first matching rule per event (Falco's default) or on all.",
)
@click.option(
    "--min-priority",
    type=click.Choice(PRIORITY_CHOICES, case_sensitive=False),
    default="DEBUG",
    show_default=True,
    help="Load only rules at or above this.",
)
@click.option("--fail-on-alert", is_flag=True, help="Exit 1 when any alert was raised.")
@click.option(
    "--explain",
    is_flag=True,
    help="List the sub-conditions that were true under each alert (always in JSON 'why').",
)
@click.option(
    "--sequences",
    "sequences_file",
    type=_RULES_FILE,
    default=None,
    help="secloop sequence rules (ordered steps per key within a time window); "
    "their conditions may use the macros and lists of the --rules files.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A behaviour baseline file (JSON): written in learn mode (merged into an "
    "existing one), read in enforce mode.",
)
@click.option(
    "--baseline-mode",
    type=click.Choice(["learn", "enforce"]),
    default="enforce",
    show_default=True,
    help="learn: record each workload's behaviour; enforce: alert on anything new.",
)
@click.option(
    "--baseline-priority",
    type=click.Choice(PRIORITY_CHOICES, case_sensitive=False),
    default="WARNING",
    show_default=True,
    help="Priority of secloop.baseline.* alerts.",
)
@io_options
@click.pass_context
def detect_command(
    ctx: click.Context,
    /,
    *,
    rules_files: tuple[Path, ...],
    source: str,
    input_path: str | None,
    fmt: str,
    rule_matching: str,
    min_priority: str,
    fail_on_alert: bool,
    explain: bool,
    sequences_file: Path | None,
    baseline_file: Path | None,
    baseline_mode: str,
    baseline_priority: str,
    **io: Any,
) -> None:
    """Replay events through Falco-compatible rules and print the alerts."""
    from secloop.runtime.engine import Engine, RuleMatching
    from secloop.runtime.errors import RulesError
    from secloop.runtime.event import Priority
    from secloop.runtime.rules.ruleset import load_rules

    ruleset = load_rules(rules_files, min_priority=Priority.parse(min_priority))
    _print_diagnostics(ruleset, include_info=False)
    if not ruleset.rules:
        raise RulesError("no enabled rule could be loaded from the rules files")
    sequences = _sequence_engine(rules_files, sequences_file)
    baseline = _baseline_detector(baseline_file, baseline_mode, baseline_priority)
    engine = Engine(
        ruleset,
        matching=RuleMatching(rule_matching),
        explain=explain or fmt == "json",
        detectors=[d for d in (sequences, baseline) if d is not None],
    )
    events = open_events(source, input_path, io)
    replay = not (io["follow"] or io["listen"])
    outputs = open_outputs(fmt, input_path, io, click.echo, replay=replay)
    try:
        with stop_on_signals(events, io):
            for alert in engine.run(events):
                outputs.handle(alert)
    finally:
        outputs.close()
    _print_summary(engine, events.stats)
    if sequences is not None:
        _print_sequence_summary(sequences)
    if baseline is not None and baseline_file is not None:
        _finish_baseline(baseline, baseline_file)
    print_output_summary(outputs)
    if fail_on_alert and engine.stats.alerts:
        ctx.exit(1)


def _sequence_engine(rules_files: tuple[Path, ...], path: Path | None) -> SequenceEngine | None:
    from secloop.runtime.sequence import ConditionContext, SequenceEngine, load_sequences

    if path is None:
        return None
    return SequenceEngine(load_sequences(path, ConditionContext.from_files(rules_files)))


def _baseline_detector(
    path: Path | None, mode: str, priority: str
) -> BaselineLearner | BaselineEnforcer | None:
    from secloop.runtime.baseline import Baseline, BaselineEnforcer, BaselineLearner
    from secloop.runtime.event import Priority

    if path is None:
        return None
    if mode == "learn":
        return BaselineLearner(Baseline.load(path) if path.exists() else None)
    if not path.exists():
        raise click.BadParameter(
            f"no such baseline: {path} (record one with --baseline-mode learn)",
            param_hint="--baseline",
        )
    return BaselineEnforcer(Baseline.load(path), priority=Priority.parse(priority))


def _finish_baseline(detector: BaselineLearner | BaselineEnforcer, path: Path) -> None:
    from secloop.runtime.baseline import BaselineLearner

    counts = detector.stats
    if isinstance(detector, BaselineLearner):
        detector.baseline.save(path)
        workloads = len(detector.baseline.workloads)
        click.echo(
            f"secloop: baseline: learnt {counts.new_values} new values "
            f"({workloads} workloads) into {path}; {counts.over_limit} over the per-aspect limit",
            err=True,
        )
    else:
        click.echo(f"secloop: baseline: {counts.new_values} new values outside {path}", err=True)


def _print_sequence_summary(sequences: SequenceEngine) -> None:
    counts = sequences.stats
    click.echo(
        f"secloop: sequences: {counts.started} started, {counts.completed} completed, "
        f"{counts.expired} expired, {counts.evicted} evicted, {counts.tracked} in progress",
        err=True,
    )


@click.group("rules")
def rules_group() -> None:
    """The built-in rule catalogue (list, show) and Falco-compatible rules files (check)."""


rules_group.add_command(rules_list_command)
rules_group.add_command(rules_show_command)


@rules_group.command("check")
@click.argument("files", nargs=-1, required=True, type=_RULES_FILE)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def check_command(ctx: click.Context, files: tuple[Path, ...], fmt: str) -> None:
    """Validate rules files, loaded together in the order given.

    Prints every error and warning as file:line:column; exits 1 when there are errors.
    """
    from secloop.runtime.rules.ruleset import load_rules

    ruleset = load_rules(files)
    if fmt == "json":
        click.echo(json.dumps([_diagnostic_json(d) for d in ruleset.diagnostics], indent=2))
    else:
        for diagnostic in ruleset.diagnostics:
            click.echo(diagnostic.render())
    errors = len(ruleset.errors)
    warnings = sum(1 for d in ruleset.diagnostics if d.level.value == "warning")
    click.echo(
        f"{len(files)} file(s): {len(ruleset.rules)} enabled rules, {errors} errors, "
        f"{warnings} warnings",
        err=True,
    )
    if errors:
        ctx.exit(1)


def _print_diagnostics(ruleset: Ruleset, *, include_info: bool) -> None:
    for diagnostic in ruleset.diagnostics:
        if include_info or diagnostic.level.value != "info":
            click.echo(diagnostic.render(), err=True)
    sys.stderr.flush()


def _diagnostic_json(diagnostic: Diagnostic) -> dict[str, object]:
    where = diagnostic.location
    return {
        "level": diagnostic.level.value,
        "code": diagnostic.code.value,
        "message": diagnostic.message,
        "file": where.file,
        "line": where.line,
        "column": where.column,
        "item_type": diagnostic.item_type,
        "item_name": diagnostic.item_name,
    }


@click.command("sensor")
@_RULES_OPTION
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop after this many seconds (default: until SIGINT/SIGTERM).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="One JSON alert per line, or Falco-like text lines.",
)
@click.option(
    "--kubelet",
    "kubelet_url",
    metavar="URL",
    help="Name the pods of containers (k8s.pod.name, k8s.ns.name) from this kubelet's "
    "/pods, e.g. http://127.0.0.1:10255; without it they stay empty.",
)
@click.option(
    "--kubelet-token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Bearer token for --kubelet (e.g. a service-account token file).",
)
@click.option(
    "--kubelet-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA bundle verifying an https --kubelet.",
)
@click.option(
    "--hosts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("/etc/hosts"),
    show_default=True,
    help="Name server addresses (fd.sip.name, ...) from this hosts file; no DNS query is made.",
)
@click.option(
    "--docker-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/var/lib/docker"),
    show_default=True,
    help="Read container.privileged from Docker's hostconfig.json below this directory; "
    "for containers of other runtimes it stays unknown.",
)
@output_options
def sensor_command(
    *,
    rules_files: tuple[Path, ...],
    duration: float | None,
    fmt: str,
    kubelet_url: str | None,
    kubelet_token_file: Path | None,
    kubelet_ca: Path | None,
    hosts_file: Path,
    docker_root: Path,
    **io: Any,
) -> None:
    """Watch this host's syscalls with the eBPF sensor (bpftrace, root) and send alerts.

    Alerts go to --output (stdout by default), throttled as by secloop detect.
    """
    import signal
    import socket

    from secloop.runtime.engine import Engine
    from secloop.runtime.errors import RulesError
    from secloop.runtime.rules.ruleset import load_rules
    from secloop.runtime.sensor.pods import PodDirectory
    from secloop.runtime.sensor.source import BpftraceSource, SensorConfig

    pods = None
    if kubelet_url is not None:
        pods = PodDirectory(kubelet_url, token_file=kubelet_token_file, ca_file=kubelet_ca)
    ruleset = load_rules(rules_files)
    _print_diagnostics(ruleset, include_info=False)
    if not any(rule.source == "syscall" for rule in ruleset.rules):
        raise RulesError("no enabled syscall rule could be loaded from the rules files")
    engine = Engine(ruleset)
    outputs = open_outputs(
        fmt, f"sensor:{socket.gethostname()}", {**io, "listen": None}, click.echo
    )
    config = SensorConfig(duration=duration, pods=pods, hosts=hosts_file, docker_root=docker_root)
    source = BpftraceSource(config)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: source.stop())
    try:
        for alert in engine.run(source):
            outputs.handle(alert)
    finally:
        outputs.close()
    for note in source.notes:
        click.echo(f"secloop: sensor: {note}", err=True)
    _print_summary(engine, source.stats)
    print_output_summary(outputs)


def _print_summary(engine: Engine, stats: SourceStats) -> None:
    for reason in stats.reasons:
        click.echo(f"secloop: dropped event: {reason}", err=True)
    counts = engine.stats
    click.echo(
        f"secloop: {counts.events} events, {counts.alerts} alerts, "
        f"{stats.dropped} dropped, {sum(counts.rule_errors.values())} rule errors",
        err=True,
    )
