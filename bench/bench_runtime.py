"""Runtime detection speed: Kubernetes audit events through Falco's k8s audit rules.

Inputs: every audit event under ``falco-legacy-tests/trace_files/k8s_audit`` of the
shared corpus, repeated to ``--events`` (default 100,000), through the 48 rules of
``falco-rules/plugins/k8saudit/rules/k8s_audit_rules.yaml``. Figures:

* engine only: decoded events (a fresh ``Event`` each, so no cached field carries over);
  alerts are counted, and their output lines are not rendered (the engine renders an
  alert's output and fields when first read);
* engine + JSON alert lines: the same, each alert explained and written as ``secloop
  detect --format json`` prints it (its JSON always carries ``why``);
* end to end: JSON lines decoded by the ``k8s_audit`` source, the engine, the alert
  dispatcher and the stdout sink writing JSON lines (to a discarding writer);
* the real command: ``secloop detect --format json > /dev/null`` in a child process,
  its CPU time from ``os.wait4``; the child's start (interpreter, imports, rules
  loading: the same command on a one-event file) is reported apart and subtracted;
* syscall-style events (synthetic flat field maps: shells in containers, reads of
  /etc/shadow, outbound connects) through the stable ``falco_rules.yaml``.

JSON goes through orjson when installed (the ``runtime`` extra); ``--codec stdlib``
measures the fallback of a base install (in-process figures only). Each k8s audit
figure is printed with its ratio to the issue's target of 50,000 events/s on one core.

Each figure is run ``--repeat`` times (default 5) and printed as the minimum and
median rate by CPU time (the one-core figure, robust to other processes sharing the
machine) and the median by wall clock.

Falco itself is compared when a ``falco`` binary is on PATH; it is not on PyPI, so it
is usually absent and the script says so. A script, not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secloop.runtime import jsoncodec
from secloop.runtime.engine import Engine
from secloop.runtime.event import Event
from secloop.runtime.outputs.dispatch import Dispatcher
from secloop.runtime.outputs.stream import StdoutSink
from secloop.runtime.rules.matchers import REGEX_ENGINE
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sources import SourceLimits
from secloop.runtime.sources.k8s_audit import K8sAuditSource

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT.parent / "shared" / "corpus"
K8S_RULES = CORPUS / "falco-rules" / "plugins" / "k8saudit" / "rules" / "k8s_audit_rules.yaml"
STABLE_RULES = CORPUS / "falco-rules" / "rules" / "falco_rules.yaml"
EVENTS = CORPUS / "falco-legacy-tests" / "trace_files" / "k8s_audit"
TARGET = 50_000  # events/s on one core (issue 8, Speed)

SYSCALL_EVENTS: list[dict[str, Any]] = [
    {
        "evt.type": "execve",
        "evt.dir": "<",
        "proc.name": "bash",
        "proc.pname": "runc:[1:CHILD]",
        "proc.tty": 34816,
        "container.id": "abc123",
        "proc.cmdline": "bash",
        "user.uid": 0,
        "proc.exepath": "/bin/bash",
        "evt.arg.flags": "EXE_WRITABLE",
    },
    {
        "evt.type": "openat",
        "evt.dir": "<",
        "proc.name": "cat",
        "fd.name": "/etc/shadow",
        "fd.typechar": "f",
        "fd.num": 3,
        "evt.is_open_read": True,
        "container.id": "host",
        "user.uid": 0,
        "evt.arg.flags": "O_RDONLY",
        "fd.directory": "/etc",
        "fd.filename": "shadow",
    },
    {
        "evt.type": "connect",
        "evt.dir": "<",
        "proc.name": "nc",
        "fd.typechar": "4",
        "fd.sip": "203.0.113.9",
        "fd.sport": 4444,
        "container.id": "abc123",
        "evt.rawres": 0,
    },
    {"evt.type": "read", "evt.dir": "<", "proc.name": "nginx", "fd.name": "/var/log/x"},
    {
        "evt.type": "execve",
        "evt.dir": "<",
        "proc.name": "ls",
        "proc.pname": "bash",
        "container.id": "host",
        "proc.exepath": "/bin/ls",
        "user.uid": 1000,
    },
]


def audit_payloads() -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []
    for path in sorted(EVENTS.glob("*.json")):
        if path.name != "fal_01_003.json":
            payloads.extend(dict(event.payload) for event in K8sAuditSource(path))
    return payloads


def timed(label: str, count: int, run: Callable[[], int], repeat: int) -> float:
    """Run ``repeat`` times; print the min and median rates by CPU time and by wall clock.

    CPU time (``process_time``) is the one-core figure: on a shared machine the wall
    clock also counts the time other processes held the core.
    """
    cpu_rates: list[float] = []
    wall_rates: list[float] = []
    alerts = 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        alerts = run()
        cpu_rates.append(count / max(time.process_time() - cpu, 1e-9))
        wall_rates.append(count / max(time.perf_counter() - wall, 1e-9))
    median = statistics.median(cpu_rates)
    print(
        f"{label:<56} {count:>7} ev x{repeat}  cpu min {min(cpu_rates):>8,.0f} "
        f"median {median:>8,.0f} ev/s ({median / TARGET:.2f} x target)  wall median "
        f"{statistics.median(wall_rates):>8,.0f} ev/s  {alerts:>6} alerts"
    )
    return median


def engine_only(
    rules_path: Path, payloads: list[dict[str, Any]], source: str, total: int
) -> Callable[[], int]:
    engine = Engine(load_rules([rules_path]))
    repeated = [payloads[i % len(payloads)] for i in range(total)]

    def run() -> int:
        alerts = 0
        for number, payload in enumerate(repeated):
            alerts += len(engine.process(Event(source=source, time_ns=number, payload=payload)))
        return alerts

    return run


def engine_json_lines(payloads: list[dict[str, Any]], total: int) -> Callable[[], int]:
    """Alerts explained and written as JSON lines, as ``secloop detect --format json`` does."""
    engine = Engine(load_rules([K8S_RULES]), explain=True)
    repeated = [payloads[i % len(payloads)] for i in range(total)]
    sink = io.StringIO()

    def run() -> int:
        alerts = 0
        sink.seek(0)
        sink.truncate()
        for number, payload in enumerate(repeated):
            for alert in engine.process(Event(source="k8s_audit", time_ns=number, payload=payload)):
                sink.write(alert.json_line() + "\n")
                alerts += 1
        return alerts

    return run


def end_to_end(payloads: list[dict[str, Any]], total: int) -> Callable[[], int]:
    """JSON lines in, through the source, the engine, the dispatcher and the stdout sink."""
    engine = Engine(load_rules([K8S_RULES]), explain=True)
    blob = jsonl_blob(payloads, total)

    def run() -> int:
        written: list[str] = []
        outputs = Dispatcher([StdoutSink(written.append, batch_lines=512)])
        source = K8sAuditSource("-", SourceLimits())
        for event in source._read(io.BytesIO(blob)):
            for alert in engine.process(event):
                outputs.handle(alert)
        outputs.close()
        return outputs.emitted

    return run


def jsonl_blob(payloads: list[dict[str, Any]], total: int) -> bytes:
    lines = [json.dumps(payloads[i % len(payloads)]) for i in range(total)]
    return ("\n".join(lines) + "\n").encode()


def child_cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of ``secloop`` with ``args``, stdout to /dev/null."""
    command = [sys.executable, "-c", "from secloop.cli import main; main()", *args]
    with Path(os.devnull).open("wb") as devnull:
        child = subprocess.Popen(command, stdout=devnull, stderr=subprocess.PIPE)
        assert child.stderr is not None  # noqa: S101 - piped above
        errors = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"secloop detect failed: {errors.decode(errors='replace')}")
    return usage.ru_utime + usage.ru_stime


def cli_figure(payloads: list[dict[str, Any]], total: int, repeat: int) -> None:
    """``secloop detect --format json > /dev/null`` in a child; its start reported apart."""
    with tempfile.TemporaryDirectory() as scratch:
        events, one = Path(scratch) / "events.jsonl", Path(scratch) / "one.jsonl"
        events.write_bytes(jsonl_blob(payloads, total))
        one.write_bytes(jsonl_blob(payloads, 1))
        base = ["detect", "--rules", str(K8S_RULES), "--format", "json", "--input"]
        starts = [child_cpu([*base, str(one)]) for _ in range(repeat)]
        runs = [child_cpu([*base, str(events)]) for _ in range(repeat)]
    start, run = statistics.median(starts), statistics.median(runs)
    net = total / max(run - start, 1e-9)
    print(
        f"{'k8s_audit, secloop detect --format json > /dev/null':<56} {total:>7} ev x{repeat}  "
        f"child cpu median {run:.2f} s, of which start {start:.2f} s (interpreter, imports, "
        f"rules); {total / run:,.0f} ev/s with the start, {net:,.0f} ev/s without "
        f"({net / TARGET:.2f} x target)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (min, median)")
    parser.add_argument(
        "--codec",
        choices=["auto", "stdlib"],
        default="auto",
        help="auto: orjson when installed; stdlib: the base install's fallback",
    )
    parser.add_argument("--no-cli", action="store_true", help="skip the child-process figure")
    args = parser.parse_args()
    if args.codec == "stdlib":
        jsoncodec.ORJSON = None
    if not K8S_RULES.exists():
        raise SystemExit(f"corpus not found at {CORPUS}")
    payloads = audit_payloads()
    started = time.perf_counter()
    rules = load_rules([K8S_RULES])
    print(
        f"loaded {len(rules.rules)} k8s audit rules in {time.perf_counter() - started:.2f} s; "
        f"{len(payloads)} distinct audit events; regex engine: {REGEX_ENGINE}; JSON: "
        f"{'orjson' if jsoncodec.using_orjson() else 'stdlib'}"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    total = args.events
    timed(
        "k8s_audit, engine only (decoded events)",
        total,
        engine_only(K8S_RULES, payloads, "k8s_audit", total),
        args.repeat,
    )
    timed(
        "k8s_audit, engine + JSON alert lines",
        total,
        engine_json_lines(payloads, total),
        args.repeat,
    )
    timed(
        "k8s_audit, end to end (JSON lines -> engine -> JSON lines)",
        total,
        end_to_end(payloads, total),
        args.repeat,
    )
    if not args.no_cli:
        cli_figure(payloads, total, max(1, min(args.repeat, 3)))
    timed(
        "syscall-style events, falco_rules.yaml (engine only)",
        total,
        engine_only(STABLE_RULES, SYSCALL_EVENTS, "syscall", total),
        args.repeat,
    )
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    falco = shutil.which("falco")
    if falco is None:
        print("falco: not installed (it is not on PyPI); no side-by-side figure")
    else:
        print(
            f"falco found at {falco}: run it with the k8saudit plugin over the same file "
            "for a side-by-side figure (not automated here)"
        )


if __name__ == "__main__":
    main()
