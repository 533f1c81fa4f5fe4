"""Behaviour baselines: workload keys, aspects, learn/enforce, the file format, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.runtime import baseline as baseline_module
from secloop.runtime.baseline import (
    Baseline,
    BaselineEnforcer,
    BaselineError,
    BaselineLearner,
    observations,
    pod_owner,
    workload_of,
    write_prefix,
)
from secloop.runtime.engine import Engine
from secloop.runtime.event import Event, Priority
from secloop.runtime.sources import K8sAuditSource
from secloop.runtime.sources.replay import ReplaySource
from tests.conftest import corpus_path
from tests.unit.runtime.helpers import ruleset

K8S_RULES = ("falco-rules", "plugins", "k8saudit", "rules", "k8s_audit_rules.yaml")
TRACES = ("falco-legacy-tests", "trace_files", "k8s_audit")

POD = {"container.id": "abc123", "k8s.ns.name": "shop", "k8s.pod.name": "web-7d4b9c8f5-x2x9z"}


def syscall(**fields: object) -> Event:
    return Event(source="syscall", time_ns=1, payload={**POD, **fields})


def exec_event(exe: str, parent: str = "sh") -> Event:
    return syscall(
        **{
            "evt.type": "execve",
            "proc.exepath": exe,
            "proc.name": exe.rsplit("/", 1)[-1],
            "proc.pname": parent,
        }
    )


def audit(trace: str) -> list[Event]:
    return list(K8sAuditSource(corpus_path(*TRACES, trace)))


@pytest.mark.parametrize(
    ("pod", "owner"),
    [
        ("web-7d4b9c8f5-x2x9z", "web"),
        ("db-0", "db"),
        ("agent-x2x9z", "agent"),
        ("standalone", "standalone"),
    ],
)
def test_pod_owner(pod: str, owner: str) -> None:
    assert pod_owner(pod) == owner


@pytest.mark.parametrize(
    ("payload", "workload"),
    [
        (POD, "k8s:shop/web"),
        ({"container.id": "abc", "container.image.repository": "nginx"}, "image:nginx"),
        ({"container.id": "abc", "container.image": "nginx:1.25"}, "image:nginx:1.25"),
        ({"container.id": "abc"}, "container:abc"),
        ({"container.id": "host", "evt.hostname": "node1"}, "host:node1"),
        ({}, "host:local"),
    ],
)
def test_syscall_workloads(payload: dict[str, object], workload: str) -> None:
    assert workload_of(Event(source="syscall", time_ns=1, payload=payload)) == workload


def test_audit_workloads_and_other_sources() -> None:
    [event] = audit("attach_pod.json")
    assert workload_of(event) == "k8s-api:default"
    assert workload_of(Event(source="k8s_audit", time_ns=1, payload={})) == "k8s-api:cluster"
    assert workload_of(Event(source="tetragon_x", time_ns=1, payload={})) is None


def test_syscall_aspects() -> None:
    assert list(observations(exec_event("/usr/bin/curl"))) == [
        ("process", "/usr/bin/curl"),
        ("parent_child", "sh -> curl"),
    ]
    connect = syscall(**{"evt.type": "connect", "fd.sip": "203.0.113.9", "fd.sport": 443})
    assert list(observations(connect)) == [("outbound", "203.0.113.9:443")]
    unix = syscall(**{"evt.type": "connect", "fd.name": "/run/docker.sock"})
    assert list(observations(unix)) == [("outbound", "/run/docker.sock")]
    write = syscall(
        **{"evt.type": "openat", "evt.is_open_write": True, "fd.name": "/var/lib/app/db/x/y.db"}
    )
    assert list(observations(write)) == [("file_write", "/var/lib/app")]
    read = syscall(**{"evt.type": "openat", "evt.is_open_write": False, "fd.name": "/etc/x"})
    assert list(observations(read)) == []
    assert list(observations(syscall(**{"evt.type": "execve"}))) == []
    assert write_prefix("/etc/passwd") == "/etc"
    assert write_prefix("/x") == "/"


def test_learn_then_enforce_on_synthetic_syscall_events() -> None:
    learner = BaselineLearner()
    normal = [exec_event("/usr/sbin/nginx"), exec_event("/usr/sbin/nginx", parent="nginx")]
    assert list(Engine(ruleset(""), detectors=[learner]).run(ReplaySource("syscall", normal))) == []
    assert learner.stats.new_values == 3
    enforcer = BaselineEnforcer(learner.baseline, priority=Priority.ERROR)
    engine = Engine(ruleset(""), detectors=[enforcer])
    odd = [exec_event("/usr/sbin/nginx"), exec_event("/usr/bin/curl"), exec_event("/usr/bin/curl")]
    alerts = list(engine.run(ReplaySource("syscall", odd)))
    assert [(a.rule, a.fields["value"]) for a in alerts] == [
        ("secloop.baseline.process", "/usr/bin/curl"),
        ("secloop.baseline.parent_child", "sh -> curl"),
    ]  # reported once per value, not per event
    assert alerts[0].priority is Priority.ERROR
    assert alerts[0].output == (
        "Behaviour outside the baseline: new process (workload=k8s:shop/web value=/usr/bin/curl)"
    )
    elsewhere = Event(source="syscall", time_ns=1, payload={"container.id": "zzz"})
    [alert] = enforcer.process(elsewhere)
    assert alert.rule == "secloop.baseline.workload"
    assert enforcer.process(Event(source="other", time_ns=1, payload={})) == []
    assert enforcer.stats.unkeyed == 1


def test_learn_and_enforce_on_real_audit_events(tmp_path: Path) -> None:
    learner = BaselineLearner()
    for trace in ("create_configmap.json", "create_deployment.json"):
        for event in audit(trace):
            learner.process(event)
    path = tmp_path / "baseline.json"
    learner.baseline.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "secloop-baseline"
    assert document["version"] == 1
    assert document["workloads"]["k8s-api:default"]["k8s_api"] == sorted(
        document["workloads"]["k8s-api:default"]["k8s_api"]
    )
    assert "minikube-user create configmaps" in document["workloads"]["k8s-api:default"]["k8s_api"]
    enforcer = BaselineEnforcer(Baseline.load(path))
    assert [a for e in audit("create_configmap.json") for a in enforcer.process(e)] == []
    found = [a.fields["value"] for e in audit("delete_configmap.json") for a in enforcer.process(e)]
    assert found == ["minikube-user delete configmaps"]


def test_values_over_the_limit_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baseline_module, "MAX_VALUES", 2)
    learner = BaselineLearner()
    for exe in ("/a", "/b", "/c"):
        learner.process(exec_event(exe, parent="init"))
    assert learner.baseline.workloads["k8s:shop/web"]["process"] == {"/a", "/b"}
    assert learner.stats.over_limit == 2  # /c, and the third parent_child pair
    assert learner.process(Event(source="x", time_ns=1, payload={})) == []
    assert learner.stats.unkeyed == 1


def test_file_round_trip_is_stable_and_merges(tmp_path: Path) -> None:
    first = Baseline()
    first.add("image:b", "process", "/z")
    first.add("image:a", "process", "/y")
    first.add("image:a", "process", "/x")
    first.workloads["image:quiet"] = {}
    path = tmp_path / "b.json"
    first.save(path)
    text = path.read_text()
    assert text.index('"image:a"') < text.index('"image:b"')
    assert text.index('"/x"') < text.index('"/y"')
    loaded = Baseline.load(path)
    assert loaded.to_json() == text
    assert loaded.knows("image:quiet")
    second = Baseline()
    second.add("image:a", "outbound", "10.0.0.1:53")
    second.add("image:a", "process", "/x")  # already known: merged once
    loaded.merge(second)
    assert loaded.has("image:a", "outbound", "10.0.0.1:53")
    assert loaded.has("image:a", "process", "/x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not a JSON baseline file"),
        ('{"format": "other"}', "not a secloop baseline"),
        ('{"format": "secloop-baseline", "version": 9}', "version 9 is not supported"),
        ('{"format": "secloop-baseline", "version": 1, "workloads": []}', "must be an object"),
        (
            '{"format": "secloop-baseline", "version": 1, "workloads": {"w": []}}',
            "workload 'w' must map aspects",
        ),
        (
            '{"format": "secloop-baseline", "version": 1, "workloads": {"w": {"smell": []}}}',
            "unknown aspect 'smell'",
        ),
        (
            '{"format": "secloop-baseline", "version": 1, "workloads": {"w": {"process": [1]}}}',
            "process must be a list of strings",
        ),
    ],
)
def test_bad_baseline_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(BaselineError, match=message):
        Baseline.load(path)


def test_missing_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read the baseline"):
        Baseline.load(tmp_path / "nope.json")


def test_cli_learns_merges_and_enforces(tmp_path: Path) -> None:
    rules = str(corpus_path(*K8S_RULES))
    path = tmp_path / "baseline.json"

    def detect(trace: str, *extra: str) -> tuple[int, str, str]:
        args = ["--rules", rules, "--input", str(corpus_path(*TRACES, trace)), "--baseline"]
        result = CliRunner().invoke(detect_command, [*args, str(path), *extra])
        return result.exit_code, result.stdout, result.stderr

    missing = detect("attach_pod.json")
    assert missing[0] == 2
    assert "no such baseline" in missing[2]
    code, _, err = detect("create_configmap.json", "--baseline-mode", "learn")
    assert code == 0
    assert "baseline: learnt 1 new values (1 workloads)" in err
    code, _, err = detect("delete_configmap.json", "--baseline-mode", "learn")
    assert "learnt 1 new values" in err  # merged into the existing file
    values = json.loads(path.read_text())["workloads"]["k8s-api:default"]["k8s_api"]
    assert values == ["minikube-user create configmaps", "minikube-user delete configmaps"]
    code, out, err = detect("attach_pod.json", "--baseline-priority", "critical")
    baseline_alerts = [
        line for line in map(json.loads, out.splitlines()) if line["rule"].startswith("secloop.")
    ]
    assert [(a["rule"], a["priority"], a["fields"]["value"]) for a in baseline_alerts] == [
        ("secloop.baseline.k8s_api", "Critical", "minikube-user create pods/attach")
    ]
    assert "baseline: 1 new values outside" in err
