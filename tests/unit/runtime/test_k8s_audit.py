"""The k8s_audit source: field extraction as the k8saudit plugin documents it, and reading files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from secloop.runtime.event import Event, Priority
from secloop.runtime.sources import FalcoJsonSource, K8sAuditSource, ReplaySource, SourceLimits
from secloop.runtime.sources.jsonlines import parse_rfc3339_ns

POD: dict[str, Any] = {
    "kind": "Event",
    "stage": "ResponseComplete",
    "verb": "create",
    "requestURI": "/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&stdin=true",
    "user": {"username": "alice", "groups": ["dev", "system:authenticated"]},
    "sourceIPs": ["10.0.0.1"],
    "objectRef": {"resource": "pods", "namespace": "default", "name": "p", "subresource": "exec"},
    "responseStatus": {"code": 201},
    "annotations": {"authorization.k8s.io/decision": "allow"},
    "stageTimestamp": "2018-10-25T14:09:12.581541Z",
    "requestObject": {
        "spec": {
            "hostNetwork": True,
            "securityContext": {"runAsUser": 1000},
            "containers": [
                {
                    "name": "a",
                    "image": "nginx:1.2@sha256:x",
                    "securityContext": {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
                    "ports": [{"containerPort": 80, "hostPort": 8080}],
                },
                {"name": "b", "image": "reg/app", "securityContext": {"runAsUser": 0}},
            ],
            "volumes": [
                {"name": "s", "secret": {}},
                {"name": "h", "hostPath": {"path": "/proc/x"}},
            ],
        }
    },
    "responseObject": {"metadata": {"name": "p-123"}},
}


def get(name: str, arg: str | None = None, payload: dict[str, Any] | None = None) -> object:
    return Event(source="k8s_audit", time_ns=5, payload=payload or POD).get(name, arg)


@pytest.mark.parametrize(
    ("name", "arg", "expected"),
    [
        ("ka.verb", None, "create"),
        ("ka.user.name", None, "alice"),
        ("ka.user.groups", None, ("dev", "system:authenticated")),
        ("ka.target.subresource", None, "exec"),
        ("ka.response.code", None, "201"),
        ("ka.auth.decision", None, "allow"),
        ("ka.uri.param", "command", "sh"),
        ("ka.uri.param", "missing", None),
        ("ka.req.pod.containers.image", None, ("nginx:1.2@sha256:x", "reg/app")),
        ("ka.req.pod.containers.image", "1", ("reg/app",)),
        ("ka.req.pod.containers.image.repository", None, ("nginx", "reg/app")),
        ("ka.req.container.image.repository", None, "nginx"),
        ("ka.req.pod.containers.privileged", None, ("true",)),
        ("ka.req.container.privileged", None, "true"),
        ("ka.req.pod.containers.eff_run_as_user", None, ("1000", "0")),
        ("ka.req.pod.containers.add_capabilities", None, ("NET_ADMIN",)),
        ("ka.req.pod.containers.host_port", None, ("8080",)),
        ("ka.req.pod.host_network", None, "true"),
        ("ka.req.pod.host_pid", None, None),
        ("ka.req.pod.volumes.hostpath", None, ("/proc/x",)),
        ("ka.req.volume.hostpath", "/proc*", "true"),
        ("ka.req.volume.hostpath", "/etc", "false"),
        ("ka.resp.name", None, "p-123"),
        ("ka.sourceips", None, ("10.0.0.1",)),
        ("jevt.value", "/objectRef/resource", "pods"),
        ("jevt.value", "/requestObject/spec/securityContext", '{"runAsUser":1000}'),
        ("jevt.value", "/nope", None),
        ("jevt.rawtime", None, "5"),
        ("evt.time", None, "00:00:00.000000005"),
    ],
)
def test_field(name: str, arg: str | None, expected: object) -> None:
    assert get(name, arg) == expected


def test_jevt_obj_is_the_compact_event() -> None:
    assert json.loads(str(get("jevt.obj"))) == POD


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.json"
    path.write_text(text)
    return path


def test_reads_json_lines_event_lists_and_arrays(tmp_path: Path) -> None:
    lines = "\n".join(
        [
            json.dumps(POD),
            json.dumps({"kind": "EventList", "items": [POD, POD]}),
            json.dumps([POD]),
            "",
        ]
    )
    source = K8sAuditSource(write(tmp_path, lines))
    events = list(source)
    assert len(events) == 4
    assert [e.num for e in events] == [1, 2, 3, 4]
    assert events[0].time_ns == parse_rfc3339_ns("2018-10-25T14:09:12.581541Z")
    assert source.stats.dropped == 0


def test_reads_a_pretty_printed_event_list(tmp_path: Path) -> None:
    text = json.dumps({"kind": "EventList", "items": [POD, POD]}, indent=2)
    assert len(list(K8sAuditSource(write(tmp_path, text)))) == 2


def test_bad_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    big = json.dumps({**POD, "pad": "x" * 300})
    text = "\n".join([json.dumps(POD), "not json", '{"kind": 0}', big, json.dumps(POD)]) + "\n"
    source = K8sAuditSource(write(tmp_path, text), SourceLimits(max_event_bytes=len(big) - 1))
    assert len(list(source)) == 2
    assert source.stats.dropped == 3
    joined = " ".join(source.stats.reasons)
    assert "not JSON" in joined
    assert "data not recognized as a k8s audit event" in joined
    assert "larger than" in joined


@pytest.mark.parametrize("long_line", [1, 2])
def test_lines_after_an_over_long_one_keep_their_numbers(tmp_path: Path, long_line: int) -> None:
    big = json.dumps({**POD, "pad": "x" * 300})
    lines = [json.dumps(POD), json.dumps(POD), "not json", json.dumps(POD)]
    lines[long_line - 1] = big
    source = K8sAuditSource(
        write(tmp_path, "\n".join(lines) + "\n"), SourceLimits(max_event_bytes=len(big) - 1)
    )
    assert len(list(source)) == 2
    assert source.stats.reasons == [
        f"line {long_line}: event larger than {len(big) - 1} bytes",
        "line 3: not JSON (Expecting value)",
    ]


def test_rfc3339_offsets_and_fractions() -> None:
    assert parse_rfc3339_ns("1970-01-01T01:00:00.5+01:00") == 500_000_000
    assert parse_rfc3339_ns("yesterday") is None


def test_falco_json_output_becomes_events(tmp_path: Path) -> None:
    line = {
        "output": "x",
        "priority": "Warning",
        "rule": "r",
        "source": "syscall",
        "time": "2024-01-01T00:00:00.000000001Z",
        "output_fields": {"proc.name": "bash", "user.uid": 0},
    }
    source = FalcoJsonSource(write(tmp_path, json.dumps(line) + "\n{}\n"))
    [event] = list(source)
    assert (event.source, event.get("proc.name"), event.get("user.uid")) == ("syscall", "bash", 0)
    assert source.stats.dropped == 1


def test_replay_source_wraps_payloads() -> None:
    events = list(ReplaySource("syscall", [{"proc.name": "a"}], start_ns=10))
    assert events[0].time_ns == 11
    assert events[0].get("proc.name") == "a"


def test_stdin_marker_is_accepted() -> None:
    assert K8sAuditSource("-").path is None
    assert io.BytesIO(b"").read() == b""


def test_priority_parsing_and_severity() -> None:
    assert Priority.parse("info") is Priority.INFORMATIONAL
    assert Priority.parse("Warning").label == "Warning"
    assert Priority.CRITICAL.severity.name == "CRITICAL"
    with pytest.raises(Exception, match="unknown priority"):
        Priority.parse("loud")
