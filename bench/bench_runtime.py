"""Runtime detection speed: Kubernetes audit events through Falco's k8s audit rules.

Inputs: every audit event under ``falco-legacy-tests/trace_files/k8s_audit`` of the
shared corpus, repeated to ``--events`` (default 100,000), through the 48 rules of
``falco-rules/plugins/k8saudit/rules/k8s_audit_rules.yaml``. Three figures:

* engine only: decoded events (a fresh ``Event`` each, so no cached field carries over);
  alerts are counted, and their output lines are not rendered (the engine renders an
  alert's output and fields when first read);
* engine + JSON alert lines: the same, each alert rendered as ``secloop detect
  --format json`` prints it (output line, fields, JSON text);
* end to end: JSON lines decoded by the ``k8s_audit`` source, then the engine;
* syscall-style events (synthetic flat field maps: shells in containers, reads of
  /etc/shadow, outbound connects) through the stable ``falco_rules.yaml``.

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
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secloop.runtime.engine import Engine
from secloop.runtime.event import Event
from secloop.runtime.rules.matchers import REGEX_ENGINE
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sources import SourceLimits
from secloop.runtime.sources.k8s_audit import K8sAuditSource

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT.parent / "shared" / "corpus"
K8S_RULES = CORPUS / "falco-rules" / "plugins" / "k8saudit" / "rules" / "k8s_audit_rules.yaml"
STABLE_RULES = CORPUS / "falco-rules" / "rules" / "falco_rules.yaml"
EVENTS = CORPUS / "falco-legacy-tests" / "trace_files" / "k8s_audit"

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
    print(
        f"{label:<56} {count:>7} ev x{repeat}  cpu min {min(cpu_rates):>8,.0f} "
        f"median {statistics.median(cpu_rates):>8,.0f} ev/s  wall median "
        f"{statistics.median(wall_rates):>8,.0f} ev/s  {alerts:>6} alerts"
    )
    return statistics.median(cpu_rates)


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
    engine = Engine(load_rules([K8S_RULES]))
    repeated = [payloads[i % len(payloads)] for i in range(total)]
    sink = io.StringIO()

    def run() -> int:
        alerts = 0
        sink.seek(0)
        sink.truncate()
        for number, payload in enumerate(repeated):
            for alert in engine.process(Event(source="k8s_audit", time_ns=number, payload=payload)):
                sink.write(json.dumps(alert.to_json_dict(), ensure_ascii=False) + "\n")
                alerts += 1
        return alerts

    return run


def end_to_end(payloads: list[dict[str, Any]], total: int) -> Callable[[], int]:
    engine = Engine(load_rules([K8S_RULES]))
    lines = [json.dumps(payloads[i % len(payloads)]) for i in range(total)]
    blob = ("\n".join(lines) + "\n").encode()

    def run() -> int:
        source = K8sAuditSource("-", SourceLimits())
        events = source._read(io.BytesIO(blob))
        return sum(len(engine.process(event)) for event in events)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (min, median)")
    args = parser.parse_args()
    if not K8S_RULES.exists():
        raise SystemExit(f"corpus not found at {CORPUS}")
    payloads = audit_payloads()
    started = time.perf_counter()
    rules = load_rules([K8S_RULES])
    print(
        f"loaded {len(rules.rules)} k8s audit rules in {time.perf_counter() - started:.2f} s; "
        f"{len(payloads)} distinct audit events; regex engine: {REGEX_ENGINE}"
    )
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
        "k8s_audit, end to end (JSON lines -> source -> engine)",
        total,
        end_to_end(payloads, total),
        args.repeat,
    )
    timed(
        "syscall-style events, falco_rules.yaml (engine only)",
        total,
        engine_only(STABLE_RULES, SYSCALL_EVENTS, "syscall", total),
        args.repeat,
    )
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
