"""The sensor's socket, capability, duration, layer and argument-area fields, without bpftrace.

The lines have the shape bpftrace 0.17 printed on this project's test machine for the
probes of ``program.py`` (dup2, accept4, socket, capset, an exec with its argument
area in chunks); pids match the fake ``/proc`` of ``test_sensor``'s builder fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sensor.events import TRUNCATED, EventBuilder
from secloop.runtime.sensor.hosts import DockerSettings, HostNames, capabilities_text
from secloop.runtime.sensor.procs import ProcessTable, UserNames
from secloop.runtime.sensor.program import ProgramConfig, missing_syscalls, render
from secloop.runtime.sensor.source import kernel_release
from tests.unit.runtime.test_sensor import (
    CID,
    FALCO_RULES,
    STARTED,
    _events,
    _h,
    _lines,
    _proc,
    _s,
)

TCP4 = 2 | (1 << 8) | (6 << 16)  # AF_INET | SOCK_STREAM << 8 | IPPROTO_TCP << 16


def _builder(tmp_path: Path, **extra: object) -> EventBuilder:
    root = tmp_path / "proc"
    _proc(root, 1, 0, "systemd")
    _proc(root, 299, 1, "containerd-shim", f"0::/system.slice/docker-{CID}.scope\n")
    _proc(root, 300, 299, "python3", f"0::/system.slice/docker-{CID}.scope\n")
    _proc(root, 201, 1, "python3")
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    return EventBuilder(ProcessTable(root), UserNames(passwd), **extra)  # type: ignore[arg-type]


def _socket_lines(probe: str, ret: int, old: int, *, ports: int, inode: int) -> list[str]:
    tid = 300
    return [
        _h(probe, tid, 299, ret=ret, args=[old, TCP4, ports, inode], n=3),
        _s(tid, "python3"),
        _s(tid, "127.0.0.1"),
        _s(tid, "127.0.0.1"),
    ]


def test_dup_of_a_socket_onto_a_standard_stream_fires_the_stable_rule(tmp_path: Path) -> None:
    if not FALCO_RULES.is_file():
        pytest.skip("Falco's rules files are not in ../shared/corpus/falco-rules")
    builder = _builder(tmp_path)
    lines = _lines(
        # accept4 returns fd 5 for a client from port 56648 to the listener on 40065
        *_socket_lines("accept4", 5, 0, ports=(56648 << 16) | 40065, inode=777),
        # dup2(5, 0): the accepted socket becomes stdin
        *_socket_lines("dup2", 0, 5, ports=(56648 << 16) | 40065, inode=777),
        # dup2(4, 1): the connecting end (remote port 40065) becomes stdout
        *_socket_lines("dup2", 1, 4, ports=(40065 << 16) | 56648, inode=778),
    )
    accepted, stdin, stdout = _events(builder, lines)
    assert accepted.payload["fd.is_server"] is True
    assert accepted.payload["fd.sport"] == 40065
    assert accepted.payload["fd.cport"] == 56648
    assert stdin.payload["fd.is_server"] is True  # the dup keeps the accepted socket's view
    assert stdin.payload["evt.arg.oldfd"] == 5
    assert stdout.payload["fd.is_server"] is False
    assert stdout.payload["fd.name"] == "127.0.0.1:56648->127.0.0.1:40065"
    assert stdout.payload["fd.l4proto"] == "tcp"
    engine = Engine(load_rules([FALCO_RULES]), matching=RuleMatching.ALL)
    fired = [a.rule for e in (accepted, stdin, stdout) for a in engine.process(e)]
    rule = "Redirect STDOUT/STDIN to Network Connection in Container"
    assert fired == [rule, rule]  # the two dups into fd 0 and 1; accept itself is no redirect


def test_socket_and_capset_records(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    no_net_raw = ((1 << 41) - 1) & ~(1 << 13)
    lines = _lines(
        _h("socket", 300, 299, ret=6, args=[17, 0x80003, 768], n=1),
        _s(300, "python3"),
        _h("capset", 201, 1, ret=0, args=[(1 << 41) - 1, 0], n=1, caps=no_net_raw),
        _s(201, "python3"),
    )
    packet, capset = _events(builder, lines)
    assert packet.payload["evt.arg.domain"] == "AF_PACKET"
    assert packet.payload["evt.arg.type"] == "SOCK_RAW"  # SOCK_CLOEXEC is not the type
    assert packet.payload["fd.num"] == 6
    assert "CAP_NET_RAW" not in str(capset.payload["thread.cap_effective"])
    assert "CAP_NET_RAW" in str(capset.payload["thread.cap_permitted"])
    assert capset.payload["thread.cap_inheritable"] == ""


def test_capabilities_text_names_bits_in_order() -> None:
    assert capabilities_text(0) == ""
    assert capabilities_text(1 | 1 << 21) == "CAP_CHOWN CAP_SYS_ADMIN"
    assert capabilities_text(1 << 50) == "CAP_50"  # a bit newer than this table


def test_duration_and_upper_layer_come_from_the_exec_record(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    lines = _lines(
        _h("execve", 300, 299, ret=0, args=[0, 0, 1, 2, 0], n=3),
        _s(300, "dropped"),
        _s(300, "/merged/dropped"),
        _s(300, "dropped"),
        _h("execve", 201, 1, ret=0, args=[0, 0, 1, 1, 0], n=3, started=STARTED - 10**10),
        _s(201, "from-image"),
        _s(201, "/merged/from-image"),
        _s(201, "from-image"),
        _h("execve", 201, 1, ret=0, args=[0, 0, 1, 0, 0], n=3),
        _s(201, "true"),
        _s(201, "/bin/true"),
        _s(201, "true"),
    )
    upper, lower, plain = _events(builder, lines)
    assert upper.payload["proc.is_exe_upper_layer"] is True
    assert lower.payload["proc.is_exe_upper_layer"] is False
    assert "proc.is_exe_upper_layer" not in plain.payload  # not on overlayfs: unknown
    assert upper.payload["proc.duration"] == 2_000_000_000
    assert lower.payload["proc.duration"] == 12_000_000_000


def _exec_with_area(chunks: list[str], length: int, argv: list[str]) -> list[bytes]:
    n = len(argv)
    return _lines(
        _h("execve", 201, 1, ret=0, args=[0, 0, n, 0, length], n=2 + n + len(chunks)),
        _s(201, "true"),
        _s(201, "/bin/true"),
        *(_s(201, a) for a in argv),
        *(_s(201, c) for c in chunks),
    )


def test_argument_area_gives_the_whole_command_line(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    long_arg = "x" * 70
    area = b"true\0" + long_arg.encode() + b"\0caf\xc3\xa9\0"
    # chunks of 63 bytes each, escaped as bpftrace's %r prints them
    chunks = [
        "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in area[i : i + 63])
        for i in range(0, len(area), 63)
    ]
    assert "\\x00" in chunks[0]
    (event,) = _events(builder, _exec_with_area(chunks, len(area), ["true", long_arg[:63]]))
    assert event.payload["proc.cmdline"] == f"true {long_arg} café"
    assert event.payload["proc.cmdnargs"] == 2
    assert "evt.truncated" not in event.payload


def test_argument_area_with_a_literal_escape_falls_back_to_the_strings(tmp_path: Path) -> None:
    """A literal ``\\x41`` (4 bytes) would decode to 1 byte: the length check rejects it."""
    builder = _builder(tmp_path)
    area_text = "true\\x00a\\x41" + "y" * 60 + "\\x00"
    length = 5 + 1 + 4 + 60 + 1  # the real bytes: "true\0a\x41yyy...\0"
    chunks = [area_text[:66], area_text[66:]]
    argv = ["true", ("a\\x41" + "y" * 60)[:63]]
    (event,) = _events(builder, _exec_with_area(chunks, length, argv))
    assert event.payload["proc.args"] == argv[1] + TRUNCATED


def test_an_area_longer_than_the_chunks_marks_the_last_argument(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    chunks = ["a" * 63] * 8
    (event,) = _events(builder, _exec_with_area(chunks, 2000, ["a" * 63]))
    assert event.payload["proc.exe"] == "a" * 504 + TRUNCATED
    assert "proc.exe" in event.payload["evt.truncated"]


def test_host_names_come_from_the_hosts_file_only(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "# comment\n127.0.0.1 localhost\n10.0.0.1 kubernetes.default.svc.cluster.local api\n"
        "not-an-address name\n::1 ip6-localhost\n10.0.0.1 second-name\n"
    )
    names = HostNames(hosts)
    assert names.name("10.0.0.1") == "kubernetes.default.svc.cluster.local"
    assert names.name("::1") == "ip6-localhost"
    assert names.name("192.0.2.1") is None
    assert HostNames(tmp_path / "missing").name("127.0.0.1") is None


def test_connect_carries_the_server_name(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("10.0.0.1 kubernetes.default.svc.cluster.local\n")
    builder = _builder(tmp_path, hosts=HostNames(hosts))
    v4 = int.from_bytes(bytes([10, 0, 0, 1]), "little")
    lines = _lines(
        _h("connect", 300, 299, ret=0, args=[2, 443, v4, 0, 0, (1 << 16) | 40000], n=1),
        _s(300, "python3"),
    )
    (event,) = _events(builder, lines)
    assert event.payload["fd.sip.name"] == "kubernetes.default.svc.cluster.local"
    if FALCO_RULES.is_file():
        engine = Engine(load_rules([FALCO_RULES]))
        assert [a.rule for a in engine.process(event)] == ["Contact K8S API Server From Container"]


def test_privileged_comes_from_dockers_record_or_stays_unknown(tmp_path: Path) -> None:
    root = tmp_path / "docker"
    privileged = "a" * 64
    plain = "b" * 64
    broken = "c" * 64
    for name, text in ((privileged, '{"Privileged": true}'), (plain, '{"Privileged": false}')):
        (root / "containers" / name).mkdir(parents=True)
        (root / "containers" / name / "hostconfig.json").write_text(text)
    (root / "containers" / broken).mkdir()
    (root / "containers" / broken / "hostconfig.json").write_text("{not json")
    docker = DockerSettings(root, min_interval=0)
    assert docker.privileged("a" * 12) is True
    assert docker.privileged("b" * 12) is False
    assert docker.privileged("c" * 12) is None  # unreadable: unknown, not False
    assert docker.privileged("d" * 12) is None  # no such container
    assert DockerSettings(tmp_path / "none").privileged("a" * 12) is None


def test_privileged_container_event(tmp_path: Path) -> None:
    root = tmp_path / "docker"
    (root / "containers" / CID).mkdir(parents=True)
    (root / "containers" / CID / "hostconfig.json").write_text('{"Privileged": true}')
    builder = _builder(tmp_path, docker=DockerSettings(root))
    lines = _lines(
        _h("execve", 300, 299, ret=0, args=[0, 0, 2], n=4),
        _s(300, "debugfs"),
        _s(300, "/usr/sbin/debugfs"),
        _s(300, "debugfs"),
        _s(300, "-V"),
    )
    (event,) = _events(builder, lines)
    assert event.payload["container.privileged"] is True
    if FALCO_RULES.is_file():
        engine = Engine(load_rules([FALCO_RULES]))
        assert [a.rule for a in engine.process(event)] == [
            "Debugfs Launched in Privileged Container"
        ]


def test_program_probes_sockets_and_capabilities_per_kernel() -> None:
    modern = render(ProgramConfig(exclude_pid=1))
    for probe in ("sys_exit_dup2", "sys_exit_accept4", "sys_exit_socket", "sys_exit_capset"):
        assert probe in modern
    assert "cap_effective.val" in modern
    assert "mm->arg_start" in modern
    older = render(ProgramConfig(exclude_pid=1, kernel_cap_u64=False))
    assert "cap_effective.cap[1]" in older
    assert "cap_effective.val" not in older
    sparse = ProgramConfig(exclude_pid=1, available=frozenset({"dup", "socket"}))
    assert "sys_exit_accept4" not in render(sparse)
    assert {"dup2", "accept", "capset"} <= set(missing_syscalls(sparse))


def test_kernel_release() -> None:
    assert kernel_release("6.18.44-fc-v669") == (6, 18)
    assert kernel_release("5.4.0") == (5, 4)
    assert kernel_release("weird") == (0, 0)


def test_a_sensitive_read_found_by_its_file_keeps_the_raw_path(tmp_path: Path) -> None:
    """The exit-side check prints the raw path and the file's own name (third string)."""
    builder = _builder(tmp_path)
    lines = _lines(
        _h("openat", 201, 1, ret=3, args=[0o100000, 0, 4294967196], n=3),
        _s(201, "python3"),
        _s(201, "/tmp/../../etc/shadow"),
        _s(201, "/etc/shadow"),
        _h("openat", 201, 1, ret=3, args=[0o100000, 0, 4294967196], n=3),
        _s(201, "cat"),
        _s(201, "shadow"),
        _s(201, "/etc/shadow"),
    )
    traversal, relative = _events(builder, lines)
    assert traversal.payload["fd.name"] == "/etc/shadow"
    assert traversal.payload["fd.nameraw"] == "/tmp/../../etc/shadow"
    assert relative.payload["fd.name"] == "/etc/shadow"
    assert relative.payload["fd.nameraw"] == "shadow"
    if FALCO_RULES.is_file():
        engine = Engine(load_rules([FALCO_RULES]))
        assert [a.rule for a in engine.process(traversal)] == [
            "Directory traversal monitored file read"
        ]
        assert [a.rule for a in engine.process(relative)] == ["Read sensitive file untrusted"]


def test_absolute_paths_with_dot_steps_are_normalised(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    lines = _lines(
        _h("openat", 201, 1, ret=3, args=[0o1101, 0, 4294967196], n=2),
        _s(201, "python3"),
        _s(201, "/var/./tmp/../log/app.log"),
    )
    (event,) = _events(builder, lines)
    assert event.payload["fd.name"] == "/var/log/app.log"
    assert event.payload["fd.nameraw"] == "/var/./tmp/../log/app.log"


def test_program_checks_unselected_reads_by_the_file_opened() -> None:
    program = render(ProgramConfig(exclude_pid=1))
    assert "sys_exit_openat /@oq[tid] != 0/" in program
    assert 'strncmp($name, "shadow", 7) == 0' in program


def test_module_load_in_a_container_needs_cap_sys_module(tmp_path: Path) -> None:
    """The kernel module rule reads thread.cap_effective from the header's capability set.

    A record, not a real load: the test machine's kernel has no module support (no
    ``finit_module`` tracepoint), so the integration test cannot perform this one.
    """
    if not FALCO_RULES.is_file():
        pytest.skip("Falco's rules files are not in ../shared/corpus/falco-rules")
    builder = _builder(tmp_path)
    with_cap = _lines(_h("finit_module", 300, 299, ret=0, args=[3, 0], n=1), _s(300, "insmod"))
    without = _lines(
        _h("finit_module", 300, 299, ret=-1, args=[3, 0], n=1, caps=(1 << 16) - 1),
        _s(300, "insmod"),
    )
    engine = Engine(load_rules([FALCO_RULES]))
    (loaded,) = _events(builder, with_cap)
    (refused,) = _events(builder, without)
    assert "CAP_SYS_MODULE" in str(loaded.payload["thread.cap_effective"])
    assert [a.rule for a in engine.process(loaded)] == ["Linux Kernel Module Injection Detected"]
    assert engine.process(refused) == []
