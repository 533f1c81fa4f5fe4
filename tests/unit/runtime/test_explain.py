""" "Why it matched": explanations on real corpus rules and on synthetic syscall rules."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.event import Alert, Event, Priority
from secloop.runtime.fields import catalogue_for
from secloop.runtime.rules.explain import Explainer, render_condition
from secloop.runtime.rules.parser import parse_condition
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sources import K8sAuditSource
from tests.conftest import corpus_path
from tests.unit.runtime.helpers import one_rule, ruleset

K8S_RULES = ("falco-rules", "plugins", "k8saudit", "rules", "k8s_audit_rules.yaml")
TRACES = ("falco-legacy-tests", "trace_files", "k8s_audit")

SHELL_RULES = """
- list: shell_binaries
  items: [bash, sh, zsh]
- macro: spawned_process
  condition: evt.type = execve and evt.dir = <
- macro: container
  condition: container.id != host
- rule: r
  desc: d
  condition: >
    spawned_process and container and proc.name in (shell_binaries)
    and (proc.tty != 0 or proc.cmdline contains "-i")
  output: shell %proc.name
  priority: WARNING
  source: syscall
  exceptions:
    - name: known_parents
      fields: [proc.pname]
      values: [[cron]]
"""

SHELL_EVENT = {
    "evt.type": "execve",
    "evt.dir": "<",
    "proc.name": "bash",
    "proc.pname": "runc",
    "proc.tty": 0,
    "proc.cmdline": "bash -i",
    "container.id": "c0ffee",
}


def corpus_alerts(trace: str, *, explain: bool) -> list[Alert]:
    engine = Engine(load_rules([corpus_path(*K8S_RULES)]), explain=explain)
    return list(engine.run(K8sAuditSource(corpus_path(*TRACES, trace))))


def test_corpus_rule_explains_macros_and_values() -> None:
    [alert, *_] = corpus_alerts("create_configmap_sensitive_values.json", explain=True)
    assert alert.rule == "Create/Modify Configmap With Private Credentials"
    assert alert.explanation[:3] == (
        "kevt: jevt.value[/stage] in (ResponseComplete) [jevt.value[/stage]=ResponseComplete]",
        "configmap: ka.target.resource = configmaps [ka.target.resource=configmaps]",
        "kmodify: ka.verb in (create, update, patch) [ka.verb=create]",
    )
    [secret] = alert.explanation[3:]
    assert secret.startswith('contains_private_credentials: ka.req.configmap.obj contains "')
    assert "[ka.req.configmap.obj={" in secret


def test_corpus_rule_explains_negated_macro_and_or_branch() -> None:
    [alert] = corpus_alerts("attach_pod.json", explain=True)
    assert alert.rule == "Attach/Exec Pod"
    assert alert.explanation == (
        "kevt_started: jevt.value[/stage] = ResponseStarted [jevt.value[/stage]=ResponseStarted]",
        "pod_subresource: ka.target.resource = pods [ka.target.resource=pods]",
        "pod_subresource: ka.target.subresource exists [ka.target.subresource=attach]",
        "kcreate: ka.verb = create [ka.verb=create]",  # only the true side of (kcreate or kget)
        "ka.target.subresource in (exec, attach) [ka.target.subresource=attach]",
        "not user_known_exec_pod_activities",
    )


def test_explanations_are_off_by_default() -> None:
    alerts = corpus_alerts("attach_pod.json", explain=False)
    assert [a.explanation for a in alerts] == [()]


def test_syscall_rule_with_list_or_and_exception() -> None:
    engine = Engine(ruleset(SHELL_RULES), explain=True)
    [alert] = engine.process(Event(source="syscall", time_ns=1, payload=SHELL_EVENT))
    assert alert.explanation == (
        "spawned_process: evt.type = execve [evt.type=execve]",
        "spawned_process: evt.dir = < [evt.dir=<]",
        "container: container.id != host [container.id=c0ffee]",
        "proc.name in (bash, sh, zsh) [proc.name=bash]",
        'proc.cmdline contains "-i" [proc.cmdline=bash -i]',
        "not proc.pname = cron",  # the exception, as a negation
    )
    excepted = {**SHELL_EVENT, "proc.pname": "cron"}
    assert engine.process(Event(source="syscall", time_ns=2, payload=excepted)) == []


def test_every_matching_rule_is_explained_with_all_matching() -> None:
    text = one_rule("proc.name = bash") + one_rule("proc.name exists").replace("rule: r", "rule: s")
    engine = Engine(ruleset(text), matching=RuleMatching.ALL, explain=True)
    alerts = engine.process(Event(source="syscall", time_ns=1, payload={"proc.name": "bash"}))
    assert [(a.rule, a.explanation) for a in alerts] == [
        ("r", ("proc.name = bash [proc.name=bash]",)),
        ("s", ("proc.name exists [proc.name=bash]",)),
    ]


def test_explainer_checks_the_condition_first() -> None:
    explainer = Explainer(catalogue_for("syscall"))
    node = parse_condition("proc.name = bash or proc.name = sh")
    assert explainer.explain(node, Event(source="syscall", time_ns=1, payload={})) == ()
    shell = Event(source="syscall", time_ns=1, payload={"proc.name": "sh"})
    assert explainer.explain(node, shell) == ("proc.name = sh [proc.name=sh]",)


def test_render_condition_shortens_lists_and_quotes_odd_literals() -> None:
    items = ", ".join(f"v{n}" for n in range(12))
    node = parse_condition(
        f'(proc.name in ({items}) or fd.name = "a b") and not proc.pname exists'
        " and proc.pname = val(proc.name)"
    )
    assert render_condition(node) == (
        "((proc.name in (v0, v1, v2, v3, v4, v5, v6, v7, ... 4 more) or "
        'fd.name = "a b") and not proc.pname exists and proc.pname = val(proc.name))'
    )


def test_long_values_are_clipped() -> None:
    engine = Engine(ruleset(one_rule("proc.cmdline startswith x")), explain=True)
    event = Event(source="syscall", time_ns=1, payload={"proc.cmdline": "x" * 500})
    [alert] = engine.process(event)
    [reason] = alert.explanation
    assert reason.endswith("...]")
    assert len(reason) < 250


def test_alert_json_and_text_carry_the_explanation() -> None:
    alert = Alert(
        rule="r",
        priority=Priority.ERROR,
        output="out",
        time_ns=0,
        fields={},
        tags=(),
        source="syscall",
        explanation=("a [f=1]", "not b"),
    )
    assert alert.to_json_dict()["why"] == ["a [f=1]", "not b"]
    assert alert.to_text().splitlines() == [
        "00:00:00.000000000: Error out",
        "    why: a [f=1]",
        "    why: not b",
    ]
    plain = Alert(
        rule="r", priority=Priority.ERROR, output="out", time_ns=0, fields={}, tags=(), source="s"
    )
    assert plain.to_json_dict()["why"] == []
    assert plain.to_text() == "00:00:00.000000000: Error out"


def test_cli_explains_in_json_always_and_in_text_on_request(tmp_path: Path) -> None:
    rules, trace = corpus_path(*K8S_RULES), corpus_path(*TRACES, "attach_pod.json")
    base = ["--rules", str(rules), "--input", str(trace)]
    result = CliRunner().invoke(detect_command, [*base, "--format", "json"])
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["why"][-1] == "not user_known_exec_pod_activities"
    plain = CliRunner().invoke(detect_command, [*base, "--format", "text"])
    assert "why:" not in plain.stdout
    explained = CliRunner().invoke(detect_command, [*base, "--format", "text", "--explain"])
    assert "    why: kcreate: ka.verb = create [ka.verb=create]" in explained.stdout.splitlines()
