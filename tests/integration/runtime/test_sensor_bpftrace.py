"""The real eBPF sensor: bpftrace attached to this kernel, real syscalls, real alerts.

The acceptance test of issue #8: Falco's stable (and sandbox) rules files, unchanged,
and each attack performed for real by child processes (the sensor ignores its own
pid, which is pytest's): a read of ``/etc/shadow`` (also by a relative and a ``../``
path, and by a "web server" running for 5.5 s), a write below ``/etc``, a shell with a
terminal inside a container, a netcat with ``-e`` inside that container, a ``ptrace``
attach and a ``PTRACE_TRACEME``, a binary executed from ``/dev/shm`` and one from a
memfd, grep/shred command lines, a truncated ``access_log``, a system user started by
an ``sshd``, an "ssh" connecting out to port 4444, capset; inside the container: a
reverse-shell ``dup2`` of both ends of a TCP connection, an ``AF_PACKET`` socket, a
connect to the address the sensor's hosts file names the Kubernetes API server, a
binary dropped into an overlayfs upper layer (next to one of the lower "image" layer),
``debugfs`` in a container Docker's ``hostconfig.json`` (written by the test: there is
no Docker daemon here) calls privileged, and a write to a file named ``release_agent``.
24 of the 25 stable rules are asserted; "Linux Kernel Module Injection Detected" is
not, since loading a module needs a kernel with module support and a module to load.

The container is a real cgroup v2 child named like Docker's systemd scope
(``docker-<64 hex>.scope``), entered by writing the pid to its ``cgroup.procs``; its
entry point is a script named ``runc`` (so the shell's parent is ``runc``, as under
Docker). One sensor run serves every test of the module (bpftrace takes ~10 s to
attach). Skipped, with the reason, when bpftrace is absent or cannot attach (not
root, no tracefs, no BTF), or when no cgroup v2 hierarchy is writable.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.event import Alert, Event
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sensor.events import TRUNCATED
from secloop.runtime.sensor.procs import cgroup2_root
from secloop.runtime.sensor.source import BpftraceSource, SensorConfig
from tests.integration.runtime.conftest import FALCO_RULES, SANDBOX_RULES

pytestmark = pytest.mark.integration

LONG_DIR = "/tmp/secloop-sensor-" + "d" * 90

# The entry point of the fake container: joins the cgroup, then runs a shell on a new
# pseudo-terminal (pty.fork makes it the shell's controlling terminal), as
# ``docker exec -it`` would. Its file is named ``runc``: that becomes its comm.
ENTRYPOINT = """\
import os, pty, sys
with open(sys.argv[1], "w") as procs:
    procs.write(str(os.getpid()))
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/sh", ["sh", "-c", "exit 0"])
while True:
    try:
        if not os.read(fd, 1024):
            break
    except OSError:
        break
os.waitpid(pid, 0)
"""

# Both ends of a TCP connection in one process, each made a standard stream with dup2:
# the shape of a reverse shell (stdin and stdout become the network connection).
REDIRECT = """\
import os, socket, sys
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
client = socket.create_connection(listener.getsockname())
accepted, _ = listener.accept()
os.dup2(accepted.fileno(), 0)
os.dup2(client.fileno(), 1)
sys.stderr.write(str(listener.getsockname()[1]))
"""

# Drop CAP_NET_RAW from the effective set with capset(2), as a hardened program would.
CAPSET = """\
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
header = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)()
assert libc.capget(header, data) == 0
data[0] &= ~(1 << 13)
assert libc.capset(header, data) == 0, ctypes.get_errno()
"""

# Run /bin/true from memory: memfd_create, copy the binary in, exec it by its fd.
MEMFD = """\
import os
fd = os.memfd_create("payload", 0)
with open("/bin/true", "rb") as binary:
    os.write(fd, binary.read())
os.execv(f"/proc/self/fd/{fd}", ["payload"])
"""

TRACEME = """\
import ctypes
assert ctypes.CDLL(None).ptrace(0, 0, 0, 0) == 0
"""

# An "ssh" connecting out to port 4444 of a documentation address (TEST-NET-2, never
# routed on the internet): non-blocking, closed at once; the attempt is the event.
SSH_OUT = """\
import errno, socket
s = socket.socket()
s.setblocking(False)
code = s.connect_ex(("198.51.100.7", 4444))
s.close()
print(errno.errorcode.get(code, code))
"""

PTRACE = """\
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
target = subprocess.Popen(["sleep", "30"])
try:
    assert libc.ptrace(16, target.pid, 0, 0) == 0, os.strerror(ctypes.get_errno())
    os.waitpid(target.pid, 0)
    libc.ptrace(17, target.pid, 0, 0)
finally:
    target.kill()
    target.wait()
"""


@pytest.fixture(scope="module")
def container(bpftrace_ok: None) -> Iterator[Path]:
    """A container-like cgroup v2 child; its processes are moved out and it is removed after."""
    root = cgroup2_root()
    if root is None:
        pytest.skip("no cgroup v2 hierarchy is mounted")
    path = root / f"docker-{secrets.token_hex(32)}.scope"
    try:
        path.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot create a cgroup below {root}: {exc}")
    try:
        yield path
    finally:
        _remove_cgroup(path, root)


def _remove_cgroup(path: Path, root: Path) -> None:
    for _ in range(50):
        pids = [p for p in (path / "cgroup.procs").read_text().split() if p]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), 9)
        if not pids:
            break
        time.sleep(0.1)
    path.rmdir()
    assert not path.exists(), f"cgroup {path} left behind"
    assert root.is_dir()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Files the actions create outside tmp_path: below /etc and /dev/shm; removed after."""
    token = secrets.token_hex(4)
    places = {
        "etc": Path(f"/etc/secloop-sensor-test-{token}.conf"),
        "shm": Path(f"/dev/shm/secloop-sensor-{token}"),
        "long": Path(LONG_DIR + token),
        "bin": tmp_path_factory.mktemp("bin"),
        "layers": Path(f"/dev/shm/secloop-sensor-layers-{token}"),
        "escape": tmp_path_factory.mktemp("cgroup-escape"),
    }
    try:
        yield places
    finally:
        merged = places["layers"] / "merged"
        if merged.is_mount():
            subprocess.run(["umount", str(merged)], check=False)
        shutil.rmtree(places["layers"], ignore_errors=True)
        places["etc"].unlink(missing_ok=True)
        shutil.rmtree(places["shm"], ignore_errors=True)
        shutil.rmtree(places["long"], ignore_errors=True)


def _in_container(container: Path, argv: list[str]) -> None:
    """Run ``argv`` inside the container cgroup (a shell joins it, then execs)."""
    script = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
    subprocess.run(
        ["/bin/sh", "-c", script, str(container), *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=20,
        check=False,
    )


def _netcat(bin_dir: Path) -> str:
    """A real ``nc``; when none is installed, socat under the name ``nc`` (same exec event)."""
    found = shutil.which("nc") or shutil.which("ncat")
    if found:
        return found
    socat = shutil.which("socat")
    if socat is None:
        pytest.skip("neither nc, ncat nor socat is installed")
    link = bin_dir / "nc"
    link.symlink_to(socat)
    return str(link)


def _in_container_output(container: Path, argv: list[str]) -> str:
    """Like :func:`_in_container`, returning what the program wrote to stderr."""
    script = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
    done = subprocess.run(
        ["/bin/sh", "-c", script, str(container), *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=20,
        check=True,
    )
    return done.stderr


def _overlay(places: dict[str, Path]) -> Path | None:
    """An overlayfs like a container's root: a binary in the image, the writable layer above.

    None when overlayfs cannot be mounted here (the upper-layer test then skips).
    """
    layers = places["layers"]
    for name in ("lower", "upper", "work", "merged"):
        (layers / name).mkdir(parents=True)
    shutil.copy("/bin/true", layers / "lower" / "from-image")
    options = f"lowerdir={layers / 'lower'},upperdir={layers / 'upper'},workdir={layers / 'work'}"
    mounted = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", options, str(layers / "merged")],
        capture_output=True,
        check=False,
    )
    return layers / "merged" if mounted.returncode == 0 else None


def _named(places: dict[str, Path], name: str) -> Path:
    """The Python interpreter under another name (the name becomes the process's comm)."""
    link = places["bin"] / name
    link.symlink_to(sys.executable)
    return link


def _host_actions(places: dict[str, Path]) -> dict[str, str]:
    """Exec-, ptrace-, open- and connect-based attacks on the host."""
    # Sensitive reads by paths the enter-side filter cannot recognise: found by the file.
    subprocess.run(["cat", "shadow"], cwd="/etc", stdout=subprocess.DEVNULL, check=True)
    traversal = "open('/tmp/../../etc/shadow').read()"
    subprocess.run([sys.executable, "-c", traversal], check=True)
    subprocess.run(["grep", "-s", "BEGIN RSA PRIVATE", "/dev/null"], check=False)
    subprocess.run(["grep", "-s", "aws_secret_access_key", "/dev/null"], check=False)
    if shutil.which("shred"):
        subprocess.run(["shred", "--version"], stdout=subprocess.DEVNULL, check=True)
    subprocess.run([sys.executable, "-c", TRACEME], check=True)
    subprocess.run([sys.executable, "-c", MEMFD], check=True)
    log = places["bin"] / "access_log"
    subprocess.run([sys.executable, "-c", f"open({str(log)!r}, 'w').close()"], check=True)
    # A login daemon starting a program as the system user "daemon" (uid 1).
    login = "import os, subprocess; subprocess.run(['/bin/true'], user=1, check=True)"
    subprocess.run([str(_named(places, "sshd")), "-c", login], check=True)
    ssh = [str(_named(places, "ssh")), "-c", SSH_OUT]
    connected = subprocess.run(ssh, capture_output=True, text=True, check=True)
    return {"ssh_connect": connected.stdout.strip()}


def _container_actions(container: Path, places: dict[str, Path], api_port: int) -> dict[str, str]:
    """The attacks that happen inside the container; returns what the tests need to know."""
    facts = {"redirect_port": _in_container_output(container, [sys.executable, "-c", REDIRECT])}
    packet = "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW).close()"
    _in_container(container, [sys.executable, "-c", packet])
    api = f"import socket; socket.create_connection(('127.0.0.3', {api_port})).close()"
    _in_container(container, [sys.executable, "-c", api])
    merged = _overlay(places)
    if merged is not None:
        shutil.copy("/bin/true", merged / "dropped")  # a copy-up: it lands in the upper layer
        _in_container(container, [str(merged / "from-image")])
        _in_container(container, [str(merged / "dropped")])
        facts["merged"] = str(merged)
    if shutil.which("debugfs"):
        _in_container(container, ["debugfs", "-V"])
    agent = places["escape"] / "release_agent"
    _in_container(container, [sys.executable, "-c", f"open({str(agent)!r}, 'w').close()"])
    return facts


def _actions(port: int, container: Path, places: dict[str, Path], api_port: int) -> dict[str, str]:
    """Each attack for real, from child processes."""
    # A "web server" that reads /etc/shadow 5.5 s after it started: not a new process.
    late_read = (
        "import subprocess, time; time.sleep(5.5); open('/etc/shadow').read();"
        " subprocess.run(['sh', '-c', 'true'])"  # and the web server spawns a shell
    )
    server = subprocess.Popen([str(_named(places, "nginx")), "-c", late_read])
    subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=False)
    subprocess.run(["sh", "-c", "true"], check=True)
    # From a child: the sensor ignores its own process, which is this one.
    client = f"import socket; socket.create_connection(('127.0.0.1', {port})).close()"
    subprocess.run([sys.executable, "-c", client], check=True)
    write = f"open({str(places['etc'])!r}, 'w').write('secloop sensor test\\n')"
    subprocess.run([sys.executable, "-c", write], check=True)
    entry = places["bin"] / "runc"
    entry.write_text(f"#!{sys.executable}\n{ENTRYPOINT}")
    entry.chmod(0o755)
    subprocess.run([str(entry), str(container / "cgroup.procs")], timeout=20, check=True)
    nc = _netcat(places["bin"])
    _in_container(container, ["timeout", "3", nc, "-l", "-p", "0", "-e", "/bin/true"])
    subprocess.run([sys.executable, "-c", PTRACE], timeout=20, check=True)
    places["shm"].mkdir()
    dropped = places["shm"] / "true"
    shutil.copy("/bin/true", dropped)
    subprocess.run([str(dropped)], check=True)
    subprocess.run(["ln", "-s", "/etc/shadow", str(places["shm"] / "symlink")], check=True)
    # A hard link from tmpfs fails with EXDEV, yet the attempt is what the rule reports.
    hardlink = ["ln", "/etc/shadow", str(places["shm"] / "hardlink")]
    subprocess.run(hardlink, stderr=subprocess.DEVNULL, check=False)
    places["long"].mkdir()
    long_file = places["long"] / "a-file-whose-path-is-longer-than-the-string-size.txt"
    subprocess.run(["touch", str(long_file)], check=True)
    subprocess.run(["/bin/true", *(str(n) for n in range(1, 12))], check=True)
    subprocess.run([sys.executable, "-c", CAPSET], check=True)
    facts = _container_actions(container, places, api_port) | _host_actions(places)
    assert server.wait(timeout=20) == 0
    return facts


def _wait_until_live(events: list[Event], thread: threading.Thread) -> None:
    """bpftrace reports "attached" before its last probe is live: wait for a canary exec."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and thread.is_alive():
        subprocess.run(["/bin/true"], check=True)
        time.sleep(0.3)
        if any(e.payload.get("proc.name") == "true" for e in list(events)):
            return
    pytest.fail("the sensor never saw the canary /bin/true")


@dataclass
class Run:
    alerts: list[Alert]
    events: list[Event]
    source: BpftraceSource
    places: dict[str, Path]
    container: Path
    facts: dict[str, str]

    def by_rule(self) -> dict[str, list[Alert]]:
        found: dict[str, list[Alert]] = {}
        for alert in self.alerts:
            found.setdefault(alert.rule, []).append(alert)
        return found

    def event_of(self, alert: Alert) -> Event:
        """The event ``alert`` was raised on (same nanosecond timestamp)."""
        return next(e for e in self.events if e.time_ns == alert.time_ns)

    def in_container(self, alerts: list[Alert]) -> list[Event]:
        cid = self.container.name.removeprefix("docker-")[:12]
        found = [self.event_of(a) for a in alerts]
        return [e for e in found if e.payload["container.id"] == cid]

    def cmdlines(self) -> list[object]:
        return [e.payload.get("proc.cmdline") for e in self.events]


def _custom_rules(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(
        f"""
- rule: shadow read by cat
  desc: d
  condition: evt.type in (open, openat) and fd.name = /etc/shadow and proc.name = cat
  output: "%proc.cmdline read %fd.name as %user.name"
  priority: WARNING
- rule: shell spawned
  desc: d
  condition: evt.type = execve and proc.name = sh and proc.cmdline = "sh -c true"
  output: "%proc.cmdline parent=%proc.pname"
  priority: NOTICE
- rule: connect to test listener
  desc: d
  condition: evt.type = connect and fd.sip = 127.0.0.1 and fd.sport = {port}
  output: "%proc.name connected to %fd.sip:%fd.sport (%fd.l4proto)"
  priority: NOTICE
- rule: accepted connection
  desc: d
  condition: evt.type in (accept, accept4) and fd.is_server = true and fd.l4proto = tcp
  output: "%proc.name accepted %fd.name server=%fd.sip:%fd.sport client=%fd.cip:%fd.cport"
  priority: NOTICE
- rule: capability dropped
  desc: d
  condition: evt.type = capset and not thread.cap_effective contains CAP_NET_RAW
  output: "%proc.name now has %thread.cap_effective"
  priority: NOTICE
"""
    )
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, container: Path, scratch: dict[str, Path]) -> Run:
    """One sensor run with the custom, stable and sandbox rules while the actions happen."""
    tmp_path = tmp_path_factory.mktemp("rules")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    api = socket.socket()
    api.bind(("127.0.0.3", 0))  # "the API server": named by the sensor's hosts file
    api.listen()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.3 kubernetes.default.svc.cluster.local\n")
    # Docker's record of the container, as dockerd writes it: the container is privileged.
    docker = tmp_path / "docker"
    record = docker / "containers" / container.name.removeprefix("docker-").removesuffix(".scope")
    record.mkdir(parents=True)
    (record / "hostconfig.json").write_text('{"Privileged": true, "NetworkMode": "default"}')
    files = [_custom_rules(tmp_path, port), FALCO_RULES, SANDBOX_RULES]
    engine = Engine(load_rules([f for f in files if f.is_file()]), matching=RuleMatching.ALL)
    source = BpftraceSource(SensorConfig(duration=180, hosts=hosts, docker_root=docker))
    alerts: list[Alert] = []
    events: list[Event] = []
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            for event in source:
                events.append(event)
                alerts.extend(engine.process(event))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    thread = threading.Thread(target=consume)
    thread.start()
    try:
        deadline = time.monotonic() + 150
        while not source.attached and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert source.attached, errors
        _wait_until_live(events, thread)
        facts = _actions(port, container, scratch, api.getsockname()[1])
        time.sleep(1.0)
    finally:
        source.stop()
        thread.join(30)
        listener.close()
        api.close()
    assert not errors, errors
    return Run(alerts, events, source, scratch, container, facts)


def test_sensor_sees_real_syscalls_and_raises_alerts(run: Run) -> None:
    by_rule = run.by_rule()
    assert "shadow read by cat" in by_rule, run.cmdlines()
    assert by_rule["shadow read by cat"][0].output == "cat /etc/shadow read /etc/shadow as root"
    assert by_rule["shell spawned"][0].fields["proc.pname"]
    connect = by_rule["connect to test listener"][0].output
    assert "connected to 127.0.0.1" in connect
    assert "(tcp)" in connect
    assert run.source.stats.read >= len(run.events)


needs_stable = pytest.mark.skipif(
    not (FALCO_RULES.is_file() and SANDBOX_RULES.is_file()),
    reason="Falco's rules files are not in ../shared/corpus/falco-rules",
)


@needs_stable
def test_read_sensitive_file_untrusted(run: Run) -> None:
    alerts = run.by_rule()["Read sensitive file untrusted"]
    assert any(a.fields["fd.name"] == "/etc/shadow" for a in alerts)


@needs_stable
def test_write_below_etc(run: Run) -> None:
    alerts = run.by_rule().get("Write below etc", [])
    assert any(a.fields["fd.name"] == str(run.places["etc"]) for a in alerts), [
        a.fields.get("fd.name") for a in alerts
    ]


@needs_stable
def test_terminal_shell_in_container(run: Run) -> None:
    shells = run.in_container(run.by_rule()["Terminal shell in container"])
    assert shells, "no alert from the container's shell"
    assert shells[0].payload["proc.name"] == "sh"
    assert shells[0].payload["proc.pname"] == "runc"
    assert shells[0].payload["proc.tty"] != 0


@needs_stable
def test_netcat_remote_code_execution_in_container(run: Run) -> None:
    alerts = run.by_rule()["Netcat Remote Code Execution in Container"]
    assert run.in_container(alerts), "no alert from the container's netcat"
    assert "-e /bin/true" in alerts[0].output


@needs_stable
def test_ptrace_attached_to_process(run: Run) -> None:
    alerts = run.by_rule()["PTRACE attached to process"]
    assert any(run.event_of(a).payload["evt.arg.request"] == "PTRACE_ATTACH" for a in alerts)


@needs_stable
def test_execution_from_dev_shm(run: Run) -> None:
    alerts = run.by_rule()["Execution from /dev/shm"]
    assert any(str(run.places["shm"]) in a.output for a in alerts)


@needs_stable
def test_create_symlink_over_sensitive_files(run: Run) -> None:
    alerts = run.by_rule()["Create Symlink Over Sensitive Files"]
    assert any("target=/etc/shadow" in a.output for a in alerts)


@needs_stable
def test_create_hardlink_over_sensitive_files(run: Run) -> None:
    alerts = run.by_rule()["Create Hardlink Over Sensitive Files"]
    assert any("target=/etc/shadow" in a.output for a in alerts)


def test_paths_longer_than_the_string_size_are_whole_or_marked(run: Run) -> None:
    """touch's open: read back from /proc/<pid>/fd while open, else a marked prefix."""
    wanted = str(run.places["long"] / "a-file-whose-path-is-longer-than-the-string-size.txt")
    opens = [
        e for e in run.events if e.payload.get("proc.name") == "touch" and "fd.name" in e.payload
    ]
    assert opens, run.cmdlines()
    name = str(opens[0].payload["fd.name"])
    if name != wanted:
        assert name.endswith(TRUNCATED), name
        assert wanted.startswith(name.removesuffix(TRUNCATED)), name
        assert {"fd.name", "evt.arg.name"} <= set(opens[0].payload["evt.truncated"])
    touch = next(e for e in run.events if e.payload.get("proc.name") == "touch")
    assert touch.payload["proc.cmdline"] == f"touch {wanted}"  # from the argument area
    assert "evt.truncated" not in touch.payload


def test_command_lines_past_the_argv_limit_are_whole(run: Run) -> None:
    """11 arguments: more than the probe's 8 argv strings, read from the argument area."""
    wanted = "true " + " ".join(str(n) for n in range(1, 12))
    assert wanted in run.cmdlines()
    event = next(e for e in run.events if e.payload.get("proc.cmdline") == wanted)
    assert event.payload["proc.cmdnargs"] == 11


@needs_stable
def test_redirect_stdout_stdin_to_network_connection_in_container(run: Run) -> None:
    alerts = run.by_rule()["Redirect STDOUT/STDIN to Network Connection in Container"]
    redirected = run.in_container(alerts)
    port = int(run.facts["redirect_port"])
    assert {e.payload["evt.rawres"] for e in redirected} >= {0, 1}, redirected
    by_fd = {e.payload["evt.rawres"]: e.payload for e in redirected}
    # fd 0: the accepted end (this process is the server), fd 1: the connecting end.
    assert by_fd[0]["fd.is_server"] is True
    assert by_fd[0]["fd.sport"] == port
    assert by_fd[1]["fd.is_server"] is False
    assert by_fd[1]["fd.sport"] == port
    assert by_fd[1]["fd.name"] == f"127.0.0.1:{by_fd[1]['fd.cport']}->127.0.0.1:{port}"
    assert all(e.payload["fd.l4proto"] == "tcp" for e in redirected)


def test_accept_reports_the_server_side(run: Run) -> None:
    port = run.facts["redirect_port"]
    alerts = run.by_rule()["accepted connection"]
    assert any(f"server=127.0.0.1:{port} client=127.0.0.1:" in a.output for a in alerts), [
        a.output for a in alerts
    ]


@needs_stable
def test_packet_socket_created_in_container(run: Run) -> None:
    alerts = run.in_container(run.by_rule()["Packet socket created in container"])
    assert alerts, "no alert for the AF_PACKET socket"
    assert alerts[0].payload["evt.arg.domain"] == "AF_PACKET"
    assert alerts[0].payload["evt.arg.type"] == "SOCK_RAW"


@needs_stable
def test_contact_k8s_api_server_from_container(run: Run) -> None:
    """fd.sip.name from the sensor's hosts file (no DNS query is made)."""
    alerts = run.in_container(run.by_rule()["Contact K8S API Server From Container"])
    assert alerts, "no alert for the connect to the API server's address"
    assert alerts[0].payload["fd.sip"] == "127.0.0.3"
    assert alerts[0].payload["fd.sip.name"] == "kubernetes.default.svc.cluster.local"


@needs_stable
def test_drop_and_execute_new_binary_in_container(run: Run) -> None:
    if "merged" not in run.facts:
        pytest.skip("overlayfs cannot be mounted here")
    merged = run.facts["merged"]
    alerts = run.in_container(run.by_rule().get("Drop and execute new binary in container", []))
    paths = [e.payload["proc.exepath"] for e in alerts]
    assert f"{merged}/dropped" in paths, paths
    assert f"{merged}/from-image" not in paths  # the image's own binary is not an alert
    image = [e for e in run.events if e.payload.get("proc.exepath") == f"{merged}/from-image"]
    assert image
    assert image[0].payload["proc.is_exe_upper_layer"] is False


@needs_stable
def test_debugfs_launched_in_privileged_container(run: Run) -> None:
    """container.privileged from Docker's hostconfig.json of the container."""
    if shutil.which("debugfs") is None:
        pytest.skip("debugfs (e2fsprogs) is not installed")
    alerts = run.in_container(run.by_rule()["Debugfs Launched in Privileged Container"])
    assert alerts, "no alert for debugfs in the privileged container"
    assert alerts[0].payload["container.privileged"] is True


@needs_stable
def test_detect_release_agent_file_container_escapes(run: Run) -> None:
    alerts = run.by_rule()["Detect release_agent File Container Escapes"]
    assert run.in_container(alerts), "no alert for the release_agent write"
    assert "CAP_SYS_ADMIN" in str(alerts[0].fields["thread.cap_effective"])
    assert alerts[0].fields["fd.name"] == str(run.places["escape"] / "release_agent")


@needs_stable
def test_read_sensitive_file_trusted_after_startup(run: Run) -> None:
    """proc.duration: the web server read /etc/shadow 5.5 s after it started."""
    alerts = run.by_rule()["Read sensitive file trusted after startup"]
    reads = [run.event_of(a) for a in alerts if a.fields["proc.name"] == "nginx"]
    assert reads, [a.output for a in alerts]
    assert int(reads[0].payload["proc.duration"]) > 5_000_000_000
    quick = [e for e in run.events if e.payload.get("proc.name") == "cat"]
    assert quick
    assert all(int(e.payload["proc.duration"]) < 5_000_000_000 for e in quick)


def test_capset_reports_the_new_capability_sets(run: Run) -> None:
    alerts = run.by_rule()["capability dropped"]
    assert alerts, "no capset event without CAP_NET_RAW"
    event = run.event_of(alerts[0])
    assert "CAP_NET_RAW" in str(event.payload["thread.cap_permitted"])
    assert "CAP_SYS_ADMIN" in str(event.payload["thread.cap_effective"])


@needs_stable
def test_run_shell_untrusted(run: Run) -> None:
    alerts = run.by_rule()["Run shell untrusted"]
    assert any(a.fields["proc.pname"] == "nginx" for a in alerts), [a.output for a in alerts]


@needs_stable
def test_system_user_interactive(run: Run) -> None:
    alerts = run.by_rule()["System user interactive"]
    events = [run.event_of(a) for a in alerts]
    assert any(e.payload["user.name"] == "daemon" for e in events), [a.output for a in alerts]


@needs_stable
@pytest.mark.parametrize(
    ("rule", "command"),
    [
        ("Search Private Keys or Passwords", "grep -s BEGIN RSA PRIVATE /dev/null"),
        ("Find AWS Credentials", "grep -s aws_secret_access_key /dev/null"),
        ("Remove Bulk Data from Disk", "shred --version"),
    ],
)
def test_command_line_rules(run: Run, rule: str, command: str) -> None:
    if command.startswith("shred") and shutil.which("shred") is None:
        pytest.skip("shred is not installed")
    alerts = run.by_rule()[rule]
    assert any(a.fields["proc.cmdline"] == command for a in alerts), [a.output for a in alerts]


@needs_stable
def test_ptrace_anti_debug_attempt(run: Run) -> None:
    alerts = run.by_rule()["PTRACE anti-debug attempt"]
    assert any(run.event_of(a).payload["evt.arg.request"] == "PTRACE_TRACEME" for a in alerts)


@needs_stable
def test_fileless_execution_via_memfd_create(run: Run) -> None:
    alerts = run.by_rule()["Fileless execution via memfd_create"]
    events = [run.event_of(a) for a in alerts]
    # The kernel names the program after the fd it was run from: comm "3", say.
    fileless = [e for e in events if str(e.payload["proc.exepath"]).startswith("/proc/self/fd/")]
    assert fileless, [a.output for a in alerts]
    assert fileless[0].payload["proc.is_exe_from_memfd"] is True


@needs_stable
def test_clear_log_activities(run: Run) -> None:
    alerts = run.by_rule()["Clear Log Activities"]
    wanted = str(run.places["bin"] / "access_log")
    assert any(a.fields.get("fd.name") == wanted for a in alerts) or any(
        wanted in a.output for a in alerts
    ), [a.output for a in alerts]


@needs_stable
def test_disallowed_ssh_connection_non_standard_port(run: Run) -> None:
    if run.facts["ssh_connect"] not in ("0", "EINPROGRESS"):
        pytest.skip(f"no route out of this machine: connect gave {run.facts['ssh_connect']}")
    alerts = run.by_rule()["Disallowed SSH Connection Non Standard Port"]
    assert any("198.51.100.7:4444" in a.output for a in alerts), [a.output for a in alerts]


@needs_stable
def test_relative_read_of_a_sensitive_file(run: Run) -> None:
    """``cd /etc && cat shadow``: the kernel's dentry names the file, not the path given."""
    alerts = run.by_rule()["Read sensitive file untrusted"]
    events = [run.event_of(a) for a in alerts]
    relative = [e for e in events if e.payload.get("fd.nameraw") == "shadow"]
    assert relative, [(e.payload["fd.name"], e.payload.get("fd.nameraw")) for e in events]
    assert relative[0].payload["fd.name"] == "/etc/shadow"


@needs_stable
def test_directory_traversal_monitored_file_read(run: Run) -> None:
    alerts = run.by_rule()["Directory traversal monitored file read"]
    events = [run.event_of(a) for a in alerts]
    assert any(e.payload["fd.nameraw"] == "/tmp/../../etc/shadow" for e in events), [
        a.output for a in alerts
    ]
    assert all(e.payload["fd.name"] == "/etc/shadow" for e in events)
