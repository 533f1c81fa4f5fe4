"""bpftrace's output lines back into raw records, without trusting them.

Lines come from ``bpftrace -f json``; the text of each ``printf`` follows the
format described in :mod:`secloop.runtime.sensor.program`. Everything here is a
pure function or a bounded buffer, so the unit tests replay recorded lines
without bpftrace. A line that does not decode is *counted* by the caller, never
skipped silently.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from secloop.runtime.sensor.program import HEADER_FIELDS

__all__ = ["Assembler", "RawRecord", "WireError", "unwrap"]

# bpftrace 0.17 escapes a byte >= 0x80 as a sign-extended ``\uffffffXX``; read it as
# U+00XX (latin-1) so that the JSON parses and the byte is still visible. Only an
# escape preceded by an even number of backslashes is a real escape.
_SIGN_EXTENDED = re.compile(rb"(?<!\\)((?:\\\\)*)\\uffffff([0-9a-fA-F]{2})")


class WireError(ValueError):
    """One line is not what the program prints; the message says why (for the drop count)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawRecord:
    """One syscall exit as the kernel saw it: numbers from the header, then the strings."""

    syscall: str
    tid: int
    pid: int
    ppid: int
    uid: int
    gid: int
    cgroup: int
    nsecs: int
    ret: int
    cap_effective: int = 0  # the thread's effective capability set after the syscall
    start_ns: int = 0  # when its process started (kernel monotonic ns, like nsecs)
    args: tuple[int, ...]
    strings: tuple[str, ...]

    @property
    def comm(self) -> str:
        return self.strings[0] if self.strings else ""


def unwrap(line: bytes) -> str | None:
    """The ``printf`` text of one ``-f json`` line; None for bpftrace's other messages."""
    fixed = _SIGN_EXTENDED.sub(rb"\1\\u00\2", line) if b"\\uffffff" in line else line
    try:
        value = json.loads(fixed.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise WireError("not a JSON object")
    if value.get("type") != "printf":
        return None
    data = value.get("data")
    if not isinstance(data, str):
        raise WireError("printf without text")
    return data[:-1] if data.endswith("\n") else data


@dataclass(slots=True)
class _Pending:
    header: list[str]
    wanted: int
    strings: list[str] = field(default_factory=list)


class Assembler:
    """Joins each header with the string lines that follow it for the same thread.

    Lines of different threads may interleave (a preempted probe, several CPUs), but
    a thread's own lines come in order, so pending records are keyed by thread id.
    At most ``max_pending`` records wait; the oldest is dropped past that, and a
    header that replaces an unfinished one counts the unfinished one as dropped.
    """

    def __init__(self, max_pending: int = 4096) -> None:
        self.max_pending = max_pending
        self._pending: OrderedDict[int, _Pending] = OrderedDict()
        self.incomplete = 0

    def feed(self, text: str) -> RawRecord | None:
        """The record ``text`` completes, if any; WireError for a malformed line."""
        tag, _, rest = text.partition("\t")
        if tag == "H":
            return self._header(rest.split("\t"))
        if tag == "S":
            tid_text, sep, value = rest.partition("\t")
            if not sep:
                raise WireError("string line without a value")
            return self._string(_int(tid_text), value)
        raise WireError(f"unknown line tag {tag[:8]!r}")

    def _header(self, fields: list[str]) -> RawRecord | None:
        if len(fields) != HEADER_FIELDS - 1:
            raise WireError(f"header with {len(fields)} fields")
        tid = _int(fields[1])
        wanted = _int(fields[-1])
        if not 0 <= wanted <= 64:
            raise WireError(f"header announces {wanted} strings")
        if self._pending.pop(tid, None) is not None:
            self.incomplete += 1
        pending = _Pending(fields, wanted)
        if wanted == 0:
            return _record(pending)
        self._pending[tid] = pending
        if len(self._pending) > self.max_pending:
            self._pending.popitem(last=False)
            self.incomplete += 1
        return None

    def _string(self, tid: int, value: str) -> RawRecord | None:
        pending = self._pending.get(tid)
        if pending is None:
            raise WireError(f"string for thread {tid} without a header")
        pending.strings.append(value)
        if len(pending.strings) < pending.wanted:
            return None
        del self._pending[tid]
        return _record(pending)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise WireError(f"not a number: {text[:20]!r}") from None


def _record(pending: _Pending) -> RawRecord:
    f = pending.header
    probe = f[0]
    syscall = probe.rsplit(":", 1)[-1].removeprefix("sys_exit_")
    try:
        numbers = [int(x) for x in f[1:-1]]
    except ValueError:
        raise WireError(f"header with a field that is not a number: {f[1:-1]!r:.80}") from None
    return RawRecord(
        syscall=syscall,
        tid=numbers[0],
        pid=numbers[1],
        ppid=numbers[2],
        uid=numbers[3],
        gid=numbers[4],
        cgroup=numbers[5],
        nsecs=numbers[6],
        ret=numbers[7],
        cap_effective=numbers[8],
        start_ns=numbers[9],
        args=tuple(numbers[10:16]),
        strings=tuple(pending.strings),
    )
