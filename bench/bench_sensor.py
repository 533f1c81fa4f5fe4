"""The eBPF sensor's own CPU cost while a process-heavy workload runs.

Workload: ``--execs`` (default 10,000) executions of ``/bin/true`` from a shell loop,
first without the sensor (baseline wall time), then with the sensor running the
stable ``falco_rules.yaml``. Figures, all read from ``/proc`` (no psutil):

* CPU seconds of bpftrace (user space) and of the Python sensor process, per 10k execs;
* the workload's wall time with and without the sensor (kernel-side probe cost shows here);
* events per second the sensor delivered, and alerts and drops.

Needs root and bpftrace. A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time
from pathlib import Path

from secloop.runtime.engine import Engine
from secloop.runtime.event import Event
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sensor.source import BpftraceSource, SensorConfig

PROJECT = Path(__file__).resolve().parent.parent
STABLE_RULES = PROJECT.parent / "shared" / "corpus" / "falco-rules" / "rules" / "falco_rules.yaml"
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str) -> float:
    """utime + stime of a process from /proc/<pid>/stat, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def workload(execs: int) -> float:
    """Wall seconds of ``execs`` runs of /bin/true from one shell."""
    start = time.perf_counter()
    script = f"i=0; while [ $i -lt {execs} ]; do /bin/true; i=$((i+1)); done"
    subprocess.run(["/bin/sh", "-c", script], check=True)
    return time.perf_counter() - start


def _settle(events: list[Event]) -> int:
    """Wait until the sensor has delivered the backlog (no new event for a second)."""
    seen = -1
    while seen != len(events):
        seen = len(events)
        time.sleep(1.0)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--execs", type=int, default=10_000)
    options = parser.parse_args()
    baseline = workload(options.execs)
    engine = Engine(load_rules([STABLE_RULES]))
    source = BpftraceSource(SensorConfig())
    events: list[Event] = []
    alerts = [0]

    def consume() -> None:
        for event in source:
            events.append(event)
            alerts[0] += len(engine.process(event))

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    while not any(e.payload.get("proc.name") == "true" for e in list(events)):
        subprocess.run(["/bin/true"], check=True)  # canary: wait until probes are live
        time.sleep(0.3)
    before = len(events)
    sensor_cpu = cpu_seconds(source.bpftrace_pid), cpu_seconds("self")
    with_sensor = workload(options.execs)
    drained_from = time.perf_counter() - with_sensor
    after = _settle(events)
    drained = time.perf_counter() - drained_from - 1.0  # minus the quiet second
    bpftrace_cpu = cpu_seconds(source.bpftrace_pid) - sensor_cpu[0]
    python_cpu = cpu_seconds("self") - sensor_cpu[1]
    source.stop()
    thread.join(30)
    scale = 10_000 / options.execs
    count = after - before
    print(f"workload: {options.execs} execs of /bin/true")
    print(f"  wall without sensor: {baseline:.2f} s, with sensor: {with_sensor:.2f} s")
    print(f"  bpftrace CPU: {bpftrace_cpu * scale:.2f} s per 10k execs")
    print(f"  python sensor CPU (decode + engine): {python_cpu * scale:.2f} s per 10k execs")
    print(
        f"  events: {count} in {drained:.2f} s ({count / drained:.0f} events/s through the engine)"
    )
    print(f"  alerts: {alerts[0]}, dropped: {source.stats.dropped} {source.stats.reasons[:3]}")


if __name__ == "__main__":
    main()
