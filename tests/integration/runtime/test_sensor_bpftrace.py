"""The real eBPF sensor: bpftrace attached to this kernel, real syscalls, real alerts.

The acceptance test of issue #8: Falco's stable (and sandbox) rules files, unchanged,
and each attack performed for real by child processes (the sensor ignores its own
pid, which is pytest's): a read of ``/etc/shadow``, a write below ``/etc``, a shell
with a terminal inside a container, a netcat with ``-e`` inside that container, a
``ptrace`` attach and a binary executed from ``/dev/shm``.

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
    }
    try:
        yield places
    finally:
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


def _actions(port: int, container: Path, places: dict[str, Path]) -> None:
    """Each attack for real, from child processes."""
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
    files = [_custom_rules(tmp_path, port), FALCO_RULES, SANDBOX_RULES]
    engine = Engine(load_rules([f for f in files if f.is_file()]), matching=RuleMatching.ALL)
    source = BpftraceSource(SensorConfig(duration=180))
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
        _actions(port, container, scratch)
        time.sleep(1.0)
    finally:
        source.stop()
        thread.join(30)
        listener.close()
    assert not errors, errors
    return Run(alerts, events, source, scratch, container)


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
    assert str(touch.payload["proc.cmdline"]).endswith(TRUNCATED)
