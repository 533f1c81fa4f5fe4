"""The sensor's cut strings, cgroup-to-container index, kubelet pod names and CLI outputs.

No root and no bpftrace needed: a fake ``bpftrace`` script replays recorded lines for
the CLI test, a fake ``/proc`` and cgroup tree stand in for the kernel's, and the
kubelet is a real HTTP server on loopback serving the ``/pods`` JSON shape.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import sensor_command
from secloop.runtime.sensor import source as sensor_source
from secloop.runtime.sensor.events import TRUNCATED, EventBuilder
from secloop.runtime.sensor.pods import KubeletError, PodDirectory, PodRef, pods_by_container
from secloop.runtime.sensor.procs import (
    CgroupPaths,
    ProcessTable,
    UserNames,
    cgroup2_root,
)
from secloop.runtime.sensor.wire import RawRecord
from tests.unit.runtime.test_sensor import FALCO_RULES, _h, _lines, _s

CID = "ab12cd34ef56" + "0" * 52
LONG = "/var/lib/" + "x" * 60  # 69 bytes: longer than bpftrace's 64-byte strings


def _record(
    syscall: str,
    strings: tuple[str, ...],
    *,
    ret: int = 0,
    args: tuple[int, ...] = (0,) * 6,
    cgroup: int = 1,
) -> RawRecord:
    return RawRecord(
        syscall=syscall,
        tid=4242,
        pid=4242,
        ppid=1,
        uid=0,
        gid=0,
        cgroup=cgroup,
        nsecs=1,
        ret=ret,
        args=tuple(args),
        strings=strings,
    )


@pytest.fixture
def proc_root(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    (root / "4242" / "fd").mkdir(parents=True)
    return root


def _builder(proc_root: Path, tmp_path: Path, strlen: int = 64) -> EventBuilder:
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0::/root:/bin/sh\n")
    return EventBuilder(ProcessTable(proc_root), UserNames(passwd), strlen=strlen)


def test_cut_open_path_is_read_back_from_the_open_fd(proc_root: Path, tmp_path: Path) -> None:
    (proc_root / "4242" / "fd" / "3").symlink_to(LONG + "/whole.conf")
    cut = LONG[:63]
    event = _builder(proc_root, tmp_path).build(
        _record("openat", ("cat", cut), ret=3, args=(1, 0, 4294967196, 0, 0, 0))
    )
    assert event.payload["fd.name"] == LONG + "/whole.conf"
    assert "evt.truncated" not in event.payload


def test_cut_values_that_cannot_be_recovered_are_marked(proc_root: Path, tmp_path: Path) -> None:
    builder = _builder(proc_root, tmp_path)
    cut = LONG[:63]
    opened = builder.build(_record("openat", ("touch", cut), ret=5, args=(0o101, 0, 0, 0, 0, 0)))
    assert opened.payload["fd.name"] == cut + TRUNCATED
    assert opened.payload["evt.truncated"] == (
        "fd.name",
        "fd.nameraw",
        "fd.filename",
        "evt.arg.name",
    )
    execve = builder.build(
        _record("execve", ("touch", "/usr/bin/touch", "touch", cut), args=(0, 0, 2, 0, 0, 0))
    )
    assert execve.payload["proc.cmdline"] == f"touch {cut}{TRUNCATED}"
    assert execve.payload["proc.exepath"] == "/usr/bin/touch"  # short: kept as is
    mount = builder.build(_record("mount", ("mount", "dev", cut, "ext4")))
    assert mount.payload["evt.arg.dir"] == cut + TRUNCATED
    assert mount.payload["evt.arg.dev"] == "dev"


def test_a_larger_string_size_moves_the_cut(proc_root: Path, tmp_path: Path) -> None:
    builder = _builder(proc_root, tmp_path, strlen=256)
    event = builder.build(_record("openat", ("cat", LONG), ret=-2, args=(0, 0, 0, 0, 0, 0)))
    assert event.payload["fd.name"] == LONG


def test_cgroup_ids_resolve_through_the_cgroup_tree(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    scope = root / "system.slice" / f"docker-{CID}.scope"
    scope.mkdir(parents=True)
    paths = CgroupPaths(root, min_interval=3600)
    assert paths.path(scope.stat().st_ino) == f"/system.slice/docker-{CID}.scope"
    assert paths.path(root.stat().st_ino) == "/"
    later = root / f"cri-containerd-{CID}.scope"
    later.mkdir()
    assert paths.path(later.stat().st_ino) is None  # rebuilt at most once per interval
    # The process is gone from /proc, the cgroup id still names its container.
    table = ProcessTable(tmp_path / "no-proc", cgroups=CgroupPaths(root, min_interval=0))
    assert table.container(4242, later.stat().st_ino) == CID[:12]
    assert table.container(4242, 987654321) == "host"


def test_cgroup_index_is_bounded(tmp_path: Path) -> None:
    for name in "abcd":
        (tmp_path / name).mkdir()
    paths = CgroupPaths(tmp_path, min_interval=0, max_dirs=2)
    assert sum(paths.path((tmp_path / n).stat().st_ino) is not None for n in "abcd") <= 1
    assert CgroupPaths(None).path(1) is None


def test_cgroup2_root_from_mounts(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
    )
    assert cgroup2_root(mounts) == Path("/sys/fs/cgroup/unified")
    mounts.write_text("proc /proc proc rw 0 0\n")
    assert cgroup2_root(mounts) is None
    assert cgroup2_root(tmp_path / "missing") is None


def _fake_bpftrace(tmp_path: Path, version: str, lines: list[bytes] | None = None) -> Path:
    """A bpftrace stand-in: prints its version, or the recorded lines and waits."""
    data = tmp_path / "lines.jsonl"
    data.write_bytes(b"".join(line + b"\n" for line in lines or []))
    script = tmp_path / "bpftrace"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, time, os\n"
        f"if '--version' in sys.argv: print('bpftrace {version}'); sys.exit(0)\n"
        f"sys.stdout.buffer.write(open({str(data)!r}, 'rb').read()); sys.stdout.flush()\n"
        "time.sleep(30)\n"
    )
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(
    ("version", "variable"),
    [("v0.17.0", "BPFTRACE_STRLEN"), ("v0.21.2", "BPFTRACE_MAX_STRLEN"), ("?", "BPFTRACE_STRLEN")],
)
def test_string_size_variable_follows_the_bpftrace_version(
    tmp_path: Path, version: str, variable: str
) -> None:
    binary = _fake_bpftrace(tmp_path, version)
    assert sensor_source.strlen_environment(str(binary), 200) == {variable: "200"}


KUBELET_PODS = {
    "kind": "PodList",
    "apiVersion": "v1",
    "items": [
        {
            "metadata": {"name": "web-7d4b9", "namespace": "shop", "uid": "u1"},
            "status": {
                "containerStatuses": [{"name": "web", "containerID": f"containerd://{CID}"}],
                "initContainerStatuses": [{"name": "init", "containerID": "cri-o://" + "9" * 64}],
            },
        },
        {"metadata": {"name": "pending", "namespace": "shop"}, "status": {}},
        {"metadata": "broken"},
        "not an object",
    ],
}


class _Kubelet(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        if self.path != "/pods":
            self.send_error(404)
            return
        body = json.dumps(KUBELET_PODS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def kubelet() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Kubelet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_pods_by_container_reads_the_kubelet_shape() -> None:
    found = pods_by_container(KUBELET_PODS)
    assert found == {CID[:12]: PodRef("web-7d4b9", "shop"), "9" * 12: PodRef("web-7d4b9", "shop")}
    assert pods_by_container(["not", "a", "pod list"]) == {}


def test_pod_directory_asks_the_kubelet_and_caches(kubelet: str) -> None:
    _Kubelet.hits = 0
    pods = PodDirectory(kubelet, refresh_interval=3600)
    assert pods.lookup(CID[:12]) == PodRef("web-7d4b9", "shop")
    assert pods.lookup(CID[:12]) == PodRef("web-7d4b9", "shop")
    assert pods.lookup("ffffffffffff") is None  # unknown: no new request within the interval
    assert _Kubelet.hits == 1
    assert pods.notes == []


def test_pod_directory_notes_an_unreachable_kubelet_once(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("secret\n")
    pods = PodDirectory("http://127.0.0.1:9/", token_file=token, refresh_interval=0, timeout=1)
    assert pods.lookup(CID[:12]) is None
    assert pods.lookup(CID[:12]) is None
    assert pods.refreshes == 2
    assert len(pods.notes) == 1
    assert "unavailable" in pods.notes[0]
    with pytest.raises(KubeletError, match="http:// or https://"):
        PodDirectory("file:///etc/passwd")


def test_events_in_a_container_carry_the_pod(kubelet: str, tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    scope = root / f"docker-{CID}.scope"
    scope.mkdir(parents=True)
    passwd = tmp_path / "passwd"
    passwd.write_text("")
    builder = EventBuilder(
        ProcessTable(tmp_path / "proc", cgroups=CgroupPaths(root)),
        UserNames(passwd),
        pods=PodDirectory(kubelet),
    )
    inside = builder.build(
        _record(
            "execve", ("sh", "/bin/sh", "sh"), args=(0, 0, 1, 0, 0, 0), cgroup=scope.stat().st_ino
        )
    )
    assert inside.payload["container.id"] == CID[:12]
    assert inside.payload["k8s.pod.name"] == "web-7d4b9"
    assert inside.payload["k8s.ns.name"] == "shop"
    host = builder.build(_record("execve", ("sh", "/bin/sh", "sh"), args=(0, 0, 1, 0, 0, 0)))
    assert "k8s.pod.name" not in host.payload


RECORDED = _lines(
    _h("openat", 910001, 910000, uid=0, ret=3, args=[0o2000000, 0, 4294967196], n=2),
    _s(910001, "cat"),
    _s(910001, "/etc/shadow"),
    _h("openat", 910002, 910000, uid=0, ret=3, args=[0o2000000, 0, 4294967196], n=2),
    _s(910002, "cat"),
    _s(910002, "/etc/shadow"),
)


@pytest.mark.skipif(not FALCO_RULES.is_file(), reason="corpus not available")
def test_sensor_command_sends_alerts_to_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kubelet: str
) -> None:
    lost = b'{"type": "lost_events", "data": {"events": 7}}'
    binary = _fake_bpftrace(tmp_path, "v0.17.0", [b'{"type": "attached_probes"}', *RECORDED, lost])
    monkeypatch.setattr(sensor_source, "_prepare", lambda config: str(binary))
    out = tmp_path / "alerts.jsonl"
    result = CliRunner().invoke(
        sensor_command,
        [
            "--rules",
            str(FALCO_RULES),
            "--duration",
            "2",
            "--output",
            f"jsonl:{out}",
            "--output",
            "stdout",
            "--format",
            "text",
            "--dedupe-window",
            "600",
            "--kubelet",
            kubelet,
        ],
    )
    assert result.exit_code == 0, result.output
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [a["rule"] for a in alerts] == ["Read sensitive file untrusted"] * 2
    assert "repeats" not in alerts[0]
    assert "file=/etc/shadow" in alerts[0]["output"]
    assert "Warning Sensitive file opened for reading" in result.stdout
    assert "7 dropped" in result.stderr
    assert "kernel buffer overflow: 7 records lost" in result.stderr
    assert "de-duplication folded 1 repeated alert(s)" in result.stderr


def test_sensor_command_rejects_a_bad_kubelet_url() -> None:
    result = CliRunner().invoke(
        sensor_command, ["--rules", str(FALCO_RULES), "--kubelet", "ftp://kubelet"]
    )
    assert result.exit_code != 0
    assert "http:// or https://" in str(result.exception or result.output)


def test_link_syscalls_carry_falco_argument_names(proc_root: Path, tmp_path: Path) -> None:
    builder = _builder(proc_root, tmp_path)
    symlink = builder.build(
        _record("symlinkat", ("ln", "/etc/shadow", "s"), args=(4294967196, 0, 0, 0, 0, 0))
    )
    assert symlink.payload["evt.arg.target"] == "/etc/shadow"
    assert symlink.payload["evt.arg.linkpath"] == "s"
    assert symlink.payload["evt.arg.linkdirfd"] == -100
    hardlink = builder.build(
        _record("linkat", ("ln", "/etc/shadow"), ret=-18, args=(4294967196, 3, 0, 0, 0, 0))
    )
    assert hardlink.payload["evt.arg.oldpath"] == "/etc/shadow"
    assert hardlink.payload["evt.arg.newpath"] == ""  # a string missing from the record
    assert hardlink.payload["evt.res"] == "EXDEV"
    plain = builder.build(_record("link", ("ln", "a", "b")))
    assert (plain.payload["evt.arg.oldpath"], plain.payload["evt.arg.newpath"]) == ("a", "b")
    assert builder.build(_record("symlink", ("ln", "a", "b"))).payload["evt.arg.target"] == "a"


def test_multibyte_strings_are_cut_by_their_byte_length(proc_root: Path, tmp_path: Path) -> None:
    builder = _builder(proc_root, tmp_path)
    cut = "/tmp/" + "é" * 29  # 5 + 58 = 63 bytes in 34 characters: possibly cut
    whole = "/tmp/" + "é" * 28  # 61 bytes: whole
    events = [
        builder.build(_record("openat", ("cat", path), ret=-2, args=(1, 0, 0, 0, 0, 0)))
        for path in (cut, whole)
    ]
    assert [e.payload["fd.name"] for e in events] == [cut + TRUNCATED, whole]
