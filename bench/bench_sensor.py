"""The eBPF sensor's own CPU cost while a process-heavy workload runs.

Workload (child processes; the sensor ignores only its own pid): ``--execs``
(default 5,000) executions of ``/bin/true`` from a shell loop, then ``--opens``
(default 50,000) opens for writing of a scratch file (each is an event: the sensor
reports every write open). It runs first without the sensor, then with the sensor
running Falco's stable ``falco_rules.yaml``. Figures, all read from ``/proc`` and
``getrusage`` (no psutil):

* CPU seconds of bpftrace (user space) and of the Python sensor (decode + rules);
* the workload's wall and CPU time with and without the sensor: the probes run in
  the workload's own context, so their kernel-side cost shows here;
* events per second through the engine, alerts, and records lost by the kernel
  buffer (counted from bpftrace's ``lost_events``, never silently dropped).

Needs root and bpftrace. A script, not a test::

    sudo .venv/bin/python bench/bench_sensor.py [--execs N] [--opens N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from secloop.runtime.engine import Engine
from secloop.runtime.event import Event
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sensor.source import BpftraceSource, SensorConfig

PROJECT = Path(__file__).resolve().parent.parent
STABLE_RULES = PROJECT.parent / "shared" / "corpus" / "falco-rules" / "rules" / "falco_rules.yaml"
_TICK = os.sysconf("SC_CLK_TCK")
_OPENER = "import sys\nfor _ in range(int(sys.argv[2])):\n    open(sys.argv[1], 'w').close()\n"


def cpu_seconds(pid: int | str) -> float:
    """utime + stime of a process from /proc/<pid>/stat, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Cost:
    wall: float
    cpu: float


def workload(execs: int, opens: int, scratch: Path) -> Cost:
    """Wall and CPU seconds of ``execs`` runs of /bin/true, then ``opens`` write opens."""
    cpu = _children_cpu()
    start = time.perf_counter()
    script = f"i=0; while [ $i -lt {execs} ]; do /bin/true; i=$((i+1)); done"
    subprocess.run(["/bin/sh", "-c", script], check=True)
    subprocess.run([sys.executable, "-c", _OPENER, str(scratch), str(opens)], check=True)
    return Cost(time.perf_counter() - start, _children_cpu() - cpu)


def _settle(events: list[Event]) -> int:
    """Wait until the sensor has delivered the backlog (no new event for a second)."""
    seen = -1
    while seen != len(events):
        seen = len(events)
        time.sleep(1.0)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--execs", type=int, default=5_000)
    parser.add_argument("--opens", type=int, default=50_000)
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="secloop-bench-sensor-")) / "scratch"
    baseline = workload(options.execs, options.opens, scratch)
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
    started = time.perf_counter()
    loaded = workload(options.execs, options.opens, scratch)
    after = _settle(events)
    drained = time.perf_counter() - started - 1.0  # minus the quiet second of _settle
    bpftrace_cpu = cpu_seconds(source.bpftrace_pid) - sensor_cpu[0]
    python_cpu = cpu_seconds("self") - sensor_cpu[1]
    source.stop()
    thread.join(30)
    scratch.unlink(missing_ok=True)
    scratch.parent.rmdir()
    count = after - before
    sensor_total = bpftrace_cpu + python_cpu
    print(f"workload: {options.execs} execs of /bin/true + {options.opens} write opens")
    print(f"  without sensor: {baseline.wall:.2f} s wall, {baseline.cpu:.2f} s CPU")
    print(f"  with sensor:    {loaded.wall:.2f} s wall, {loaded.cpu:.2f} s CPU (probes included)")
    print(f"  sensor CPU: bpftrace {bpftrace_cpu:.2f} s + python {python_cpu:.2f} s")
    overhead = (loaded.cpu + sensor_total - baseline.cpu) / baseline.cpu
    print(f"  total CPU overhead: {overhead:.0%} of the workload's own CPU")
    print(f"  sensor CPU per event: {sensor_total / max(count, 1) * 1e6:.0f} µs")
    print(
        f"  events: {count} in {drained:.2f} s ({count / drained:.0f} events/s through the engine)"
    )
    print(f"  alerts: {alerts[0]}, dropped: {source.stats.dropped} {source.stats.reasons[:3]}")


if __name__ == "__main__":
    main()
