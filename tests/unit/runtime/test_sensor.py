"""The eBPF sensor without bpftrace: recorded output lines -> events -> Falco alerts.

The lines below have the exact shape bpftrace 0.17 printed on this project's test
machine (``-f json``), with pids chosen to match a fake ``/proc`` built per test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.event import Event
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sensor import source as sensor_source
from secloop.runtime.sensor.events import EventBuilder, open_flags_text
from secloop.runtime.sensor.procs import ProcessTable, UserNames, container_id_from_cgroup
from secloop.runtime.sensor.program import ProgramConfig, missing_syscalls, render
from secloop.runtime.sensor.source import BpftraceSource, SensorConfig, SensorError
from secloop.runtime.sensor.wire import Assembler, RawRecord, WireError, unwrap
from secloop.runtime.sources.interface import SourceStats

FALCO_RULES = Path(__file__).parents[3] / "../shared/corpus/falco-rules/rules/falco_rules.yaml"
CID = "4f3c2b1a0e9d" + "8" * 52
T = "tracepoint:syscalls:sys_exit_"


ROOT_CAPS = (1 << 41) - 1  # every capability of Linux 6.x: what root has on the test machine
STARTED = 5_736_851_229_349  # the process started 2 s before the events below


def _h(
    probe: str,
    tid: int,
    ppid: int,
    *,
    uid: int = 0,
    ret: int,
    args: list[int],
    n: int,
    caps: int = ROOT_CAPS,
    started: int = STARTED,
) -> str:
    cgroup = 9 if tid >= 300 else 7  # pid 300 lives in the container cgroup
    numbers = [tid, tid, ppid, uid, 0, cgroup, 5_738_851_229_349, ret, caps, started]
    nums = [*numbers, *args, *[0] * (6 - len(args))]
    return "H\t" + T + probe + "\t" + "\t".join(map(str, nums)) + f"\t{n}\n"


def _s(tid: int, text: str) -> str:
    return f"S\t{tid}\t{text}\n"


def _lines(*texts: str) -> list[bytes]:
    return [json.dumps({"type": "printf", "data": t}).encode() for t in texts]


RECORDED = _lines(
    # bash (200) runs cat, which reads /etc/shadow
    _h("execve", 201, 200, uid=0, ret=0, args=[0, 1000, 2], n=4),
    _s(201, "cat"),
    _s(201, "/usr/bin/cat"),
    _s(201, "cat"),
    _s(201, "/etc/shadow"),
    _h("openat", 201, 200, uid=0, ret=3, args=[0o2000000, 0, 4294967196], n=2),
    _s(201, "cat"),
    _s(201, "/etc/shadow"),
    # a debugger attaches to pid 1
    _h("ptrace", 202, 200, uid=0, ret=0, args=[16, 1], n=1),
    _s(202, "gdb"),
    # a shell with a terminal in a container (cgroup of pid 300), parent runc
    _h("execve", 300, 299, uid=0, ret=0, args=[34816, 1000, 1], n=3),
    _s(300, "bash"),
    _s(300, "/bin/bash"),
    _s(300, "bash"),
)


def _proc(root: Path, pid: int, ppid: int, name: str, cgroup: str = "0::/user.slice\n") -> None:
    directory = root / str(pid)
    directory.mkdir(parents=True)
    (directory / "stat").write_text(f"{pid} ({name}) S {ppid} {pid} {pid} 0 -1 0\n")
    (directory / "cmdline").write_text(f"{name}\0")
    (directory / "cgroup").write_text(cgroup)
    (directory / "cwd").symlink_to("/")
    (directory / "exe").symlink_to(f"/usr/bin/{name}")


@pytest.fixture
def builder(tmp_path: Path) -> EventBuilder:
    root = tmp_path / "proc"
    _proc(root, 1, 0, "systemd")
    _proc(root, 200, 1, "bash")
    _proc(root, 201, 200, "cat")
    _proc(root, 202, 200, "gdb")
    _proc(root, 299, 1, "containerd-shim", f"0::/system.slice/docker-{CID}.scope\n")
    _proc(root, 300, 299, "bash", f"0::/system.slice/docker-{CID}.scope\n")
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/a:/bin/sh\n")
    return EventBuilder(ProcessTable(root), UserNames(passwd))


def _events(builder: EventBuilder, lines: list[bytes]) -> list[Event]:
    assembler = Assembler()
    out = []
    for line in lines:
        text = unwrap(line)
        record = assembler.feed(text) if text is not None else None
        if record is not None:
            out.append(builder.build(record))
    return out


def test_recorded_lines_become_falco_fields(builder: EventBuilder) -> None:
    execve, opened, ptrace, shell = _events(builder, RECORDED)
    assert execve.payload["proc.cmdline"] == "cat /etc/shadow"
    assert execve.payload["proc.pname"] == "bash"
    assert execve.payload["proc.aname[2]"] == "systemd"
    assert execve.payload["user.name"] == "root"
    assert execve.payload["container.id"] == "host"
    assert opened.payload["fd.name"] == "/etc/shadow"
    assert opened.payload["evt.is_open_read"] is True
    assert opened.payload["evt.arg.flags"] == "O_RDONLY|O_CLOEXEC"
    assert ptrace.payload["evt.arg.request"] == "PTRACE_ATTACH"
    assert shell.payload["container.id"] == CID[:12]
    assert shell.payload["proc.tty"] == 34816


@pytest.mark.skipif(not FALCO_RULES.is_file(), reason="corpus not available")
def test_recorded_lines_fire_stable_falco_rules(builder: EventBuilder) -> None:
    engine = Engine(load_rules([FALCO_RULES]), matching=RuleMatching.ALL)
    fired = {alert.rule for e in _events(builder, RECORDED) for alert in engine.process(e)}
    assert {"Read sensitive file untrusted", "PTRACE attached to process"} <= fired
    assert "Terminal shell in container" in fired
    assert engine.stats.rule_errors == {}


def test_connect_record_decodes_ipv4_and_ipv6(builder: EventBuilder) -> None:
    v4 = 0x0100007F  # 127.0.0.1 as the kernel's little-endian read of network order
    lines = _lines(
        _h("connect", 201, 200, uid=0, ret=-111, args=[2, 8080, v4, 0, 0, (1 << 16) | 40000], n=1),
        _s(201, "curl"),
        _h("connect", 201, 200, uid=0, ret=0, args=[10, 443, 0, 0, 0x01000000, (1 << 16) | 5], n=1),
        _s(201, "curl"),
    )
    refused, ok = _events(builder, lines)
    assert refused.payload["fd.sip"] == "127.0.0.1"
    assert refused.payload["fd.sport"] == 8080
    assert refused.payload["evt.res"] == "ECONNREFUSED"
    assert refused.payload["fd.l4proto"] == "tcp"
    assert ok.payload["fd.sip"] == "::1"
    assert ok.payload["fd.typechar"] == "6"


def test_interleaved_threads_are_assembled_per_thread() -> None:
    assembler = Assembler()
    texts = [
        _h("ptrace", 1, 0, uid=0, ret=0, args=[0, 0], n=1),
        _h("bpf", 2, 0, uid=0, ret=0, args=[5], n=1),
    ]
    texts += [_s(2, "b"), _s(1, "a")]
    records = [assembler.feed(t.rstrip("\n")) for t in texts]
    done = [r for r in records if isinstance(r, RawRecord)]
    assert [(r.syscall, r.comm) for r in done] == [("bpf", "b"), ("ptrace", "a")]


@pytest.mark.parametrize(
    "text",
    ["X\t1", "S\t9\torphan", "H\tonly\tthree", "H\t" + "\t".join(["x"] * 18), "S\tnotanumber"],
)
def test_malformed_lines_raise_wire_errors(text: str) -> None:
    with pytest.raises(WireError):
        Assembler().feed(text)


def test_unwrap_handles_bytes_escapes_and_other_messages() -> None:
    assert unwrap(b'{"type": "printf", "data": "S\\t1\\t\\uffffffc3\\n"}') == "S\t1\t\u00c3"
    assert unwrap(b'{"type": "attached_probes", "data": {"probes": 3}}') is None
    with pytest.raises(WireError):
        unwrap(b"ERROR: something")


def test_line_buffer_drops_overlong_lines_and_counts_them() -> None:
    stats = SourceStats()
    buffer = sensor_source._LineBuffer(10, stats)
    assert buffer.feed(b"short\n" + b"x" * 30) == [b"short"]
    assert buffer.feed(b"yyy\nok\n") == [b"ok"]
    assert stats.dropped == 1


def test_program_skips_syscalls_without_tracepoints() -> None:
    config = ProgramConfig(exclude_pid=42, available=frozenset({"execve", "ptrace"}))
    text = render(config)
    assert "sys_enter_ptrace /pid != 42/" in text
    assert "init_module" not in text
    assert "init_module" in missing_syscalls(config)


def test_container_ids_from_cgroup_paths() -> None:
    assert container_id_from_cgroup(f"0::/kubepods/besteffort/pod1/{CID}\n") == CID[:12]
    assert container_id_from_cgroup(f"0::/system.slice/cri-containerd-{CID}.scope") == CID[:12]
    assert container_id_from_cgroup("0::/user.slice/user-0.slice\n") == "host"


def test_open_flags_are_rendered_like_falco() -> None:
    assert open_flags_text(0o1 | 0o100 | 0o1000) == "O_WRONLY|O_CREAT|O_TRUNC"


def test_sensor_refuses_to_start_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(SensorError, match="needs root"):
        list(BpftraceSource(SensorConfig(duration=1)))


def test_sensor_reports_missing_bpftrace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(SensorError, match="not found"):
        list(BpftraceSource(SensorConfig(bpftrace="no-such-bpftrace-binary")))
