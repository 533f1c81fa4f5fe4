"""The eBPF sensor as an event source: ``bpftrace`` in a subprocess, read line by line.

Steps of one run (each failure before (4) is a :class:`SensorError` naming the cause):

1. preconditions: root, a ``bpftrace`` binary, tracefs (mounted at
   ``/sys/kernel/tracing`` when missing: bpftrace resolves tracepoints there);
2. the program is rendered for the syscalls this kernel has tracepoints for;
3. bpftrace starts with ``-f json``; its stderr goes to a temporary file, so a full
   pipe can never block it, and is quoted when it exits early;
4. lines are read from a non-blocking pipe into a bounded buffer: an overlong line
   is cut off and counted, a malformed one counted, never fatal;
5. :meth:`BpftraceSource.stop` (from a SIGINT/SIGTERM handler), the duration, or
   closing the iterator ends the run: SIGTERM to bpftrace, then SIGKILL after a grace.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from secloop.core.errors import Error
from secloop.runtime.event import Event
from secloop.runtime.sensor.events import EventBuilder
from secloop.runtime.sensor.hosts import DockerSettings, HostNames
from secloop.runtime.sensor.pods import PodDirectory
from secloop.runtime.sensor.procs import CgroupPaths, ProcessTable, UserNames, cgroup2_root
from secloop.runtime.sensor.program import ProgramConfig, missing_syscalls, render
from secloop.runtime.sensor.wire import Assembler, WireError, unwrap
from secloop.runtime.sources.interface import SourceStats

__all__ = [
    "BpftraceSource",
    "SensorConfig",
    "SensorError",
    "available_syscalls",
    "kernel_release",
    "strlen_environment",
]

_TRACEFS = Path("/sys/kernel/tracing")


class SensorError(Error):
    """The sensor cannot run here (no root, no bpftrace, no tracefs, probes refused)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorConfig:
    """Limits and knobs of one sensor run; durations in seconds, sizes in bytes."""

    bpftrace: str = "bpftrace"
    duration: float | None = None
    max_line_bytes: int = 65_536
    max_pending: int = 4096
    start_timeout: float = 120.0
    stop_grace: float = 5.0
    # Bytes per string (with the NUL). bpftrace 0.17 keeps strings on the 512-byte BPF
    # stack: 128 already overflows it in the exec and open probes here, so 64 it is;
    # longer values are marked as cut (see events.TRUNCATED), open paths read back.
    strlen: int = 64
    # Kernel ring buffer per CPU, in 4 KiB pages (bpftrace's default is 64). bpftrace
    # formats a few thousand lines a second at most, so bursts wait here: 64 pages lost
    # 2 of 3 records of a 20,000-open burst on this project's machine, 2048 none.
    perf_rb_pages: int = 1024
    tracefs: Path = _TRACEFS
    proc_root: Path = Path("/proc")
    passwd: Path = Path("/etc/passwd")
    hosts: Path = Path("/etc/hosts")  # fd.sip.name and friends: this file only, no DNS
    docker_root: Path = Path("/var/lib/docker")  # container.privileged of Docker containers
    exclude_pids: tuple[int, ...] = field(default_factory=tuple)
    pods: PodDirectory | None = None  # container -> pod via the kubelet; None: not asked


def available_syscalls(tracefs: Path = _TRACEFS) -> frozenset[str]:
    """Syscalls with an enter tracepoint on this kernel."""
    events = tracefs / "events" / "syscalls"
    try:
        names = [entry.name for entry in events.iterdir()]
    except OSError:
        return frozenset()
    return frozenset(n.removeprefix("sys_enter_") for n in names if n.startswith("sys_enter_"))


def kernel_release(release: str | None = None) -> tuple[int, int]:
    """(major, minor) of the running kernel (``6.18.44-fc`` -> (6, 18)); (0, 0) if unreadable."""
    found = re.match(r"(\d+)\.(\d+)", os.uname().release if release is None else release)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def strlen_environment(binary: str, strlen: int) -> dict[str, str]:
    """The variable setting bpftrace's string size: renamed MAX_STRLEN in 0.20."""
    version = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"v?(\d+)\.(\d+)", version)
    modern = found is not None and (int(found.group(1)), int(found.group(2))) >= (0, 20)
    return {"BPFTRACE_MAX_STRLEN" if modern else "BPFTRACE_STRLEN": str(strlen)}


def _prepare(config: SensorConfig) -> str:
    """Steps (1) and (2): the bpftrace path and the program, or a SensorError."""
    if os.geteuid() != 0:
        raise SensorError("the eBPF sensor needs root (bpftrace loads BPF programs)")
    binary = shutil.which(config.bpftrace)
    if binary is None:
        raise SensorError(f"{config.bpftrace!r} not found: install the bpftrace package")
    if not (config.tracefs / "events").is_dir():
        mounted = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["/bin/mount", "-t", "tracefs", "tracefs", str(config.tracefs)],
            capture_output=True,
            text=True,
            check=False,
        )
        if mounted.returncode != 0 or not (config.tracefs / "events").is_dir():
            raise SensorError(f"tracefs is not mounted at {config.tracefs}: {mounted.stderr}")
    return binary


class BpftraceSource:
    """Syscall events from a live bpftrace process; see the module docstring for the steps."""

    source = "syscall"

    def __init__(self, config: SensorConfig | None = None) -> None:
        self.config = config or SensorConfig()
        self.stats = SourceStats()
        self.notes: list[str] = []
        self._stopping = False
        self.attached = False  # bpftrace said so; its last probes may need a moment more
        self._child = -1

    @property
    def bpftrace_pid(self) -> int:
        """The pid of the running bpftrace (-1 before the start), for CPU accounting."""
        return self._child

    def stop(self) -> None:
        """Ask the run to end; safe from a signal handler (sets a flag only)."""
        self._stopping = True

    def __iter__(self) -> Iterator[Event]:
        binary = _prepare(self.config)
        program_config = ProgramConfig(
            exclude_pid=os.getpid(),
            available=available_syscalls(self.config.tracefs),
            kernel_cap_u64=kernel_release() >= (6, 3),
            strlen=self.config.strlen,
        )
        missing = missing_syscalls(program_config)
        if missing:
            self.notes.append("no tracepoint on this kernel for: " + ", ".join(missing))
        builder = EventBuilder(
            ProcessTable(
                self.config.proc_root,
                cgroups=CgroupPaths(cgroup2_root(self.config.proc_root / "self" / "mounts")),
            ),
            UserNames(self.config.passwd),
            clock_offset_ns=time.time_ns() - time.monotonic_ns(),
            strlen=self.config.strlen,
            pods=self.config.pods,
            hosts=HostNames(self.config.hosts),
            docker=DockerSettings(self.config.docker_root),
        )
        try:
            with tempfile.TemporaryFile() as errors:
                yield from self._run(binary, render(program_config), builder, errors)
        finally:
            if self.config.pods is not None:
                self.notes.extend(self.config.pods.notes)

    def _run(
        self, binary: str, program: str, builder: EventBuilder, errors: IO[bytes]
    ) -> Iterator[Event]:
        env = dict(os.environ, **strlen_environment(binary, self.config.strlen))
        env["BPFTRACE_PERF_RB_PAGES"] = str(self.config.perf_rb_pages)
        process = subprocess.Popen(  # noqa: S603 - argv list, program text is ours
            [binary, "-B", "line", "-f", "json", "-e", program],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        self._child = process.pid  # bpftrace's own syscalls are not events
        try:
            yield from self._events(process, builder)
        finally:
            self._terminate(process)
        if not self.attached:
            raise SensorError("bpftrace could not attach its probes: " + _tail(errors))
        if process.returncode not in (0, -15) and not self._stopping:
            self.notes.append(f"bpftrace exited with {process.returncode}: {_tail(errors)}")

    def _events(self, process: subprocess.Popen[bytes], builder: EventBuilder) -> Iterator[Event]:
        assert process.stdout is not None  # noqa: S101 - Popen with stdout=PIPE
        fd = process.stdout.fileno()
        os.set_blocking(fd, False)
        assembler = Assembler(self.config.max_pending)
        lines = _LineBuffer(self.config.max_line_bytes, self.stats)
        started = time.monotonic()
        deadline = None if self.config.duration is None else started + self.config.duration
        while True:
            now = time.monotonic()
            ending = self._stopping or (deadline is not None and now >= deadline)
            if not self.attached and now - started > self.config.start_timeout:
                ending = True
            if ending and process.poll() is None:
                process.terminate()  # (5) bpftrace flushes and exits; read to EOF
                deadline = now + self.config.stop_grace
                self._stopping = True
            if self._stopping and deadline is not None and now >= deadline:
                break
            ready, _, _ = select.select([fd], [], [], 0.2)
            chunk = os.read(fd, 1 << 16) if ready else None
            if chunk == b"":
                break  # EOF: bpftrace exited
            for line in lines.feed(chunk or b""):
                yield from self._decode(line, assembler, builder)
        self.stats.dropped += assembler.incomplete
        if assembler.incomplete:
            self.stats.reasons.append(f"{assembler.incomplete} incomplete records")

    def _decode(self, line: bytes, assembler: Assembler, builder: EventBuilder) -> Iterator[Event]:
        if not line.strip():
            return
        try:
            text = unwrap(line)
            if text is None:
                self.attached = self.attached or b"attached_probes" in line
                self._lost(line)
                return
            record = assembler.feed(text)
        except WireError as exc:
            self.stats.drop(f"malformed sensor line: {exc}")
            return
        if record is None or record.pid in self.config.exclude_pids or record.pid == self._child:
            return
        self.stats.read += 1
        yield builder.build(record)

    def _lost(self, line: bytes) -> None:
        """bpftrace's ``lost_events``: the kernel buffer overflowed; count, never hide."""
        if b'"lost_events"' not in line:
            return
        found = re.search(rb'"events"\s*:\s*(\d+)', line)
        lost = int(found.group(1)) if found else 1
        self.stats.dropped += lost
        if len(self.stats.reasons) < 20:
            self.stats.reasons.append(f"kernel buffer overflow: {lost} records lost")

    def _terminate(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.config.stop_grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


class _LineBuffer:
    """Splits a byte stream into lines of at most ``limit`` bytes; longer ones are dropped."""

    def __init__(self, limit: int, stats: SourceStats) -> None:
        self.limit = limit
        self.stats = stats
        self._buffer = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        out: list[bytes] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                break
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if self._skipping:
                self._skipping = False
            elif len(line) <= self.limit:
                out.append(line)
            else:
                self.stats.drop(f"sensor line over {self.limit} bytes")
        if len(self._buffer) > self.limit:
            if not self._skipping:
                self.stats.drop(f"sensor line over {self.limit} bytes")
            self._skipping = True
            self._buffer.clear()
        return out


def _tail(errors: IO[bytes], limit: int = 4000) -> str:
    """bpftrace's stderr without its harmless RLIMIT_MEMLOCK warning, last ``limit`` bytes."""
    errors.seek(0)
    text = errors.read().decode("utf-8", errors="replace")
    kept = [line for line in text.splitlines() if "RLIMIT_MEMLOCK" not in line]
    return "\n".join(kept)[-limit:].strip() or "(no message)"
