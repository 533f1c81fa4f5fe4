"""The real eBPF sensor: bpftrace attached to this kernel, real syscalls, real alerts.

Skipped, with the reason, when bpftrace is absent or cannot attach (not root, no
tracefs, no BTF): the probe runs once per session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.event import Alert, Event
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sensor.source import BpftraceSource, SensorConfig

pytestmark = pytest.mark.integration

FALCO_RULES = Path(__file__).parents[3] / "../shared/corpus/falco-rules/rules/falco_rules.yaml"


@pytest.fixture(scope="session")
def bpftrace_ok() -> None:
    """Skip unless bpftrace can attach one tracepoint here (mounting tracefs if needed)."""
    if os.geteuid() != 0:
        pytest.skip("the eBPF sensor needs root")
    if shutil.which("bpftrace") is None:
        pytest.skip("bpftrace is not installed (apt-get install bpftrace)")
    if not Path("/sys/kernel/tracing/events").is_dir():
        subprocess.run(
            ["/bin/mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"], check=False
        )
    probe = subprocess.run(
        ["bpftrace", "-e", "tracepoint:syscalls:sys_enter_getpid { exit(); }", "-c", "/bin/true"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"bpftrace cannot attach here: {probe.stderr.strip()[-400:]}")


def _rules(tmp_path: Path, port: int) -> Path:
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


def _actions(port: int) -> None:
    subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=False)
    subprocess.run(["sh", "-c", "true"], check=True)
    # From a child: the sensor ignores its own process, which is this one.
    client = f"import socket; socket.create_connection(('127.0.0.1', {port})).close()"
    subprocess.run([sys.executable, "-c", client], check=True)


def _wait_until_live(events: list[Event], thread: threading.Thread) -> None:
    """bpftrace reports "attached" before its last probe is live: wait for a canary exec."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and thread.is_alive():
        subprocess.run(["/bin/true"], check=True)
        time.sleep(0.3)
        if any(e.payload.get("proc.name") == "true" for e in list(events)):
            return
    pytest.fail("the sensor never saw the canary /bin/true")


def _run_sensor(tmp_path: Path) -> tuple[list[Alert], list[Event], BpftraceSource]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    files = [_rules(tmp_path, port)] + ([FALCO_RULES] if FALCO_RULES.is_file() else [])
    engine = Engine(load_rules(files), matching=RuleMatching.ALL)
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
    deadline = time.monotonic() + 150
    while not source.attached and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert source.attached, errors
    _wait_until_live(events, thread)
    _actions(port)
    time.sleep(1.0)
    source.stop()
    thread.join(30)
    listener.close()
    assert not errors, errors
    return alerts, events, source


def test_sensor_sees_real_syscalls_and_raises_alerts(bpftrace_ok: None, tmp_path: Path) -> None:
    alerts, events, source = _run_sensor(tmp_path)
    by_rule = {alert.rule: alert for alert in alerts}
    assert "shadow read by cat" in by_rule, [e.payload.get("proc.cmdline") for e in events]
    assert by_rule["shadow read by cat"].output == "cat /etc/shadow read /etc/shadow as root"
    assert by_rule["shell spawned"].fields["proc.pname"]
    assert "connected to 127.0.0.1" in by_rule["connect to test listener"].output
    assert "(tcp)" in by_rule["connect to test listener"].output
    if FALCO_RULES.is_file():
        assert "Read sensitive file untrusted" in by_rule
    assert source.stats.read >= len(events)
