"""Raw kernel records -> :class:`Event` payloads with Falco's syscall field names.

The mapping follows Falco's semantics where rules depend on them: events are
syscall *exits* (``evt.dir`` is ``<``), ``evt.res`` is ``SUCCESS`` or an errno
name, ``proc.exe`` is argv[0] and ``proc.exepath`` the executable's path,
``proc.aname`` without an index is every ancestor (``[0]`` is the process itself),
``fd.num`` is -1 after a failed open, ``container.id`` is ``host`` outside containers.

Strings arrive cut at bpftrace's string size (``BPFTRACE_STRLEN`` minus the NUL).
A value that long may have been cut: the path of a successful open is then read back
from ``/proc/<pid>/fd/<fd>`` (whole while the file is still open), and whatever stays
cut ends with :data:`TRUNCATED` so that ``=`` and ``endswith`` cannot match a prefix
by mistake (``startswith`` and ``contains`` on the kept prefix still work). The
payload's ``evt.truncated`` names the fields concerned.
"""

from __future__ import annotations

import errno
import ipaddress
import posixpath
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from secloop.runtime.event import Event
from secloop.runtime.sensor.hosts import capabilities_text
from secloop.runtime.sensor.procs import HOST, ProcessTable, ProcInfo, UserNames
from secloop.runtime.sensor.wire import RawRecord

if TYPE_CHECKING:
    from secloop.runtime.sensor.hosts import DockerSettings, HostNames
    from secloop.runtime.sensor.pods import PodDirectory

__all__ = ["TRUNCATED", "EventBuilder", "open_flags_text"]

TRUNCATED = "\u2026"
"""Appended to a string value that bpftrace may have cut (the ellipsis, U+2026)."""

_AT_FDCWD = -100
_OPEN_FLAGS = (
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o200000, "O_DIRECTORY"),
    (0o2000000, "O_CLOEXEC"),
    (0o20000000, "O_TMPFILE"),
)
_PTRACE = {
    0: "PTRACE_TRACEME",
    1: "PTRACE_PEEKTEXT",
    2: "PTRACE_PEEKDATA",
    4: "PTRACE_POKETEXT",
    5: "PTRACE_POKEDATA",
    7: "PTRACE_CONT",
    8: "PTRACE_KILL",
    9: "PTRACE_SINGLESTEP",
    12: "PTRACE_GETREGS",
    13: "PTRACE_SETREGS",
    16: "PTRACE_ATTACH",
    17: "PTRACE_DETACH",
    0x4206: "PTRACE_SEIZE",
}
_CLONE_NS = (
    (0x00020000, "CLONE_NEWNS"),
    (0x02000000, "CLONE_NEWCGROUP"),
    (0x04000000, "CLONE_NEWUTS"),
    (0x08000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
)
_L4 = {1: "tcp", 2: "udp", 3: "raw", 5: "sctp"}
_FAMILIES = {
    0: "AF_UNSPEC",
    1: "AF_UNIX",
    2: "AF_INET",
    3: "AF_AX25",
    4: "AF_IPX",
    5: "AF_APPLETALK",
    9: "AF_X25",
    10: "AF_INET6",
    16: "AF_NETLINK",
    17: "AF_PACKET",
    29: "AF_CAN",
    31: "AF_BLUETOOTH",
    38: "AF_ALG",
    40: "AF_VSOCK",
    44: "AF_XDP",
}
_SOCKET_TYPES = {
    1: "SOCK_STREAM",
    2: "SOCK_DGRAM",
    3: "SOCK_RAW",
    4: "SOCK_RDM",
    5: "SOCK_SEQPACKET",
    6: "SOCK_DCCP",
    10: "SOCK_PACKET",
}
_ESCAPE = re.compile(rb"\\x([0-9a-f]{2})")
_MAX_SERVER_SOCKETS = 65_536


def open_flags_text(flags: int) -> str:
    """Falco's rendering of open flags: ``O_WRONLY|O_CREAT|O_TRUNC``."""
    names = [("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[flags & 3]]
    names += [name for bit, name in _OPEN_FLAGS if flags & bit]
    return "|".join(names)


def _s32(value: int) -> int:
    """A 32-bit C ``int`` that bpftrace printed unsigned (AT_FDCWD arrives as 4294967196)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _res(ret: int) -> str:
    if ret >= 0:
        return "SUCCESS"
    return errno.errorcode.get(-ret, str(ret))


def _ip(record: RawRecord) -> str:
    family, _, w0, w12, w3, _ = record.args
    if family == 2:
        return str(ipaddress.IPv4Address((w0 & 0xFFFFFFFF).to_bytes(4, "little")))
    mask = 0xFFFFFFFFFFFFFFFF
    raw = (
        (w0 & 0xFFFFFFFF).to_bytes(4, "little")
        + (w12 & mask).to_bytes(8, "little")
        + (w3 & 0xFFFFFFFF).to_bytes(4, "little")
    )
    return str(ipaddress.IPv6Address(raw))


def _mount(a: tuple[int, ...], s: tuple[str, ...]) -> dict[str, Any]:
    named = dict(zip(("evt.arg.dev", "evt.arg.dir", "evt.arg.type"), s, strict=False))
    return {"evt.arg.flags": a[0], **named}


def _resid(kind: str) -> Callable[[tuple[int, ...], tuple[str, ...]], dict[str, Any]]:
    return lambda a, _: {
        f"evt.arg.r{kind}": a[0],
        f"evt.arg.e{kind}": a[1],
        f"evt.arg.s{kind}": a[2],
    }


def _named(*names: str) -> Callable[[tuple[str, ...]], dict[str, Any]]:
    """Strings in probe order -> ``evt.arg.<name>`` (missing strings are empty)."""
    return lambda s: {f"evt.arg.{n}": s[i] if i < len(s) else "" for i, n in enumerate(names)}


_SYMLINK = _named("target", "linkpath")
_LINK = _named("oldpath", "newpath")

# syscall -> (numeric args, strings after comm) -> evt.arg.* fields, as Falco names them.
_ARGUMENTS: dict[str, Callable[[tuple[int, ...], tuple[str, ...]], dict[str, Any]]] = {
    "execve": lambda _, s: {"evt.arg.filename": s[0] if s else ""},
    "execveat": lambda _, s: {"evt.arg.filename": s[0] if s else ""},
    "ptrace": lambda a, _: {"evt.arg.request": _PTRACE.get(a[0], str(a[0])), "evt.arg.pid": a[1]},
    "setuid": lambda a, _: {"evt.arg.uid": a[0]},
    "setgid": lambda a, _: {"evt.arg.gid": a[0]},
    "setresuid": _resid("uid"),
    "setresgid": _resid("gid"),
    "mount": _mount,
    "umount": lambda a, s: {"evt.arg.flags": a[0], "evt.arg.name": s[0] if s else ""},
    "unshare": lambda a, _: {"evt.arg.flags": "|".join(n for b, n in _CLONE_NS if a[0] & b)},
    "setns": lambda a, _: {"evt.arg.fd": a[0], "evt.arg.nstype": a[1]},
    "bpf": lambda a, _: {"evt.arg.cmd": a[0]},
    "init_module": lambda a, _: {"evt.arg.len": a[0]},
    "finit_module": lambda a, _: {"evt.arg.fd": a[0], "evt.arg.flags": a[1]},
    "symlink": lambda _, s: _SYMLINK(s),
    "symlinkat": lambda a, s: {"evt.arg.linkdirfd": _s32(a[0]), **_SYMLINK(s)},
    "link": lambda _, s: _LINK(s),
    "linkat": lambda a, s: {
        "evt.arg.olddir": _s32(a[0]),
        "evt.arg.newdir": _s32(a[1]),
        "evt.arg.flags": a[2],
        **_LINK(s),
    },
}


class EventBuilder:
    """Turns records into events, keeping the process table current."""

    def __init__(
        self,
        table: ProcessTable,
        users: UserNames,
        *,
        clock_offset_ns: int = 0,
        strlen: int = 64,
        pods: PodDirectory | None = None,
        hosts: HostNames | None = None,
        docker: DockerSettings | None = None,
    ) -> None:
        self.table = table
        self.pods = pods
        self.hosts = hosts
        self.docker = docker
        # Inodes of sockets seen returned by accept(): a dup of one is the server side.
        self._server_sockets: dict[int, None] = {}
        self.users = users
        self.clock_offset_ns = clock_offset_ns
        self.cut = strlen - 1  # a string of this many bytes may have been cut
        self.count = 0
        self._marking = False  # this event marked a value as cut

    def _cut(self, value: str) -> bool:
        # A character is 1 to 4 UTF-8 bytes: only lengths in between need the encoding.
        if len(value) >= self.cut:
            return True
        if 4 * len(value) < self.cut:
            return False
        return len(value.encode("utf-8", errors="replace")) >= self.cut

    def _marked(self, value: str) -> str:
        if not self._cut(value):
            return value
        self._marking = True
        return value + TRUNCATED

    def build(self, record: RawRecord) -> Event:
        """The event of ``record``; exec records update the process table first."""
        if record.syscall in ("execve", "execveat") and record.ret == 0:
            proc = self.table.exec(self._exec_info(record), record.cgroup)
        else:
            proc = self.table.get(record.pid, record.cgroup) or ProcInfo(
                pid=record.pid, ppid=record.ppid, name=record.comm
            )
        payload = self._common(record, proc)
        payload.update(self._specific(record, proc))
        if self._marking or TRUNCATED in proc.cmdline or TRUNCATED in proc.exepath:
            self._marking = False
            cut = [k for k, v in payload.items() if isinstance(v, str) and v.endswith(TRUNCATED)]
            payload["evt.truncated"] = tuple(cut)
        self.count += 1
        return Event(
            source="syscall",
            time_ns=record.nsecs + self.clock_offset_ns,
            payload=payload,
            num=self.count,
        )

    def _exec_info(self, record: RawRecord) -> ProcInfo:
        count = max(0, record.args[2])
        argv = self._argument_area(record, count) or tuple(
            self._marked(arg) for arg in record.strings[2 : 2 + count]
        )
        filename = record.strings[1] if len(record.strings) > 1 else ""
        exepath = filename
        if self._cut(filename) or not filename.startswith("/"):
            exepath = self.table.readlink(record.pid, "exe") or self._marked(filename)
        layer = record.args[3]
        return ProcInfo(
            pid=record.pid,
            ppid=record.ppid,
            name=record.comm,
            exe=argv[0] if argv else self._marked(filename),
            exepath=exepath,
            args=tuple(argv[1:]),
            tty=record.args[0],
            loginuid=record.args[1] if record.args[1] != 0xFFFFFFFF else -1,
            exe_upper_layer=None if layer == 0 else layer == 2,
            exe_from_memfd=record.args[5] == 1,
        )

    def _argument_area(self, record: RawRecord, count: int) -> tuple[str, ...] | None:
        """argv from the raw argument area the probe sent in chunks, or None to use the strings.

        bpftrace prints a byte that is not printable as ``\\xNN`` but a backslash as
        itself, so a literal ``\\x41`` in an argument would read as one byte: each
        chunk's decoded length must be exactly what was read, else the area is ignored.
        An area longer than the chunks sent keeps its last argument marked as cut.
        """
        chunks = record.strings[2 + count :]
        length = record.args[4]
        if not chunks or length <= 0:
            return None
        size = self.cut
        area = bytearray()
        for index, chunk in enumerate(chunks):
            try:
                text = chunk.encode("ascii")  # %r prints printable ASCII and escapes only
            except UnicodeEncodeError:
                return None
            raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text)
            if len(raw) != min(size, length - index * size):
                return None
            area += raw
        whole = len(area) >= length
        values = bytes(area).split(b"\0")
        if whole and values and values[-1] == b"":
            values.pop()
        argv = [v.decode("utf-8", errors="replace") for v in values]
        if not whole and argv:
            self._marking = True
            argv[-1] += TRUNCATED
        return tuple(argv)

    def _common(self, record: RawRecord, proc: ProcInfo) -> dict[str, Any]:
        chain = self.table.ancestors(proc)
        payload: dict[str, Any] = {
            "evt.type": "umount2" if record.syscall == "umount" else record.syscall,
            "evt.dir": "<",
            "evt.res": _res(record.ret),
            "evt.rawres": record.ret,
            "evt.failed": record.ret < 0,
            "proc.pid": record.pid,
            "proc.ppid": record.ppid,
            "thread.tid": record.tid,
            "proc.name": record.comm or proc.name,
            "proc.exe": proc.exe,
            "proc.exepath": proc.exepath,
            "proc.args": " ".join(proc.args),
            "proc.cmdline": proc.cmdline,
            "proc.cmdnargs": len(proc.args),
            "proc.cwd": proc.cwd,
            "proc.tty": proc.tty,
            "proc.is_exe_from_memfd": proc.exe_from_memfd or "memfd:" in proc.exepath,
            "proc.duration": record.nsecs - record.start_ns if record.start_ns else None,
            "thread.cap_effective": capabilities_text(record.cap_effective),
            "user.uid": record.uid,
            "user.name": self.users.name(record.uid),
            "user.loginuid": proc.loginuid,
            "group.gid": record.gid,
            "container.id": proc.container_id,
            "proc.aname": tuple(p.name for p in chain),
            "proc.apid": tuple(p.pid for p in chain),
            "proc.aexepath": tuple(p.exepath for p in chain),
            "proc.aname[0]": proc.name,
            "proc.apid[0]": proc.pid,
        }
        for depth, parent in enumerate(chain, start=1):
            payload[f"proc.aname[{depth}]"] = parent.name
            payload[f"proc.apid[{depth}]"] = parent.pid
            payload[f"proc.aexepath[{depth}]"] = parent.exepath
        if proc.exe_upper_layer is not None:
            payload["proc.is_exe_upper_layer"] = proc.exe_upper_layer
        if self.docker is not None and proc.container_id != HOST:
            privileged = self.docker.privileged(proc.container_id)
            if privileged is not None:
                payload["container.privileged"] = privileged
        if self.pods is not None and proc.container_id != HOST:
            pod = self.pods.lookup(proc.container_id)
            if pod is not None:
                payload["k8s.pod.name"] = pod.name
                payload["k8s.ns.name"] = pod.namespace
        if chain:
            parent = chain[0]
            payload.update(
                {
                    "proc.pname": parent.name,
                    "proc.pexe": parent.exe,
                    "proc.pexepath": parent.exepath,
                    "proc.pcmdline": parent.cmdline,
                }
            )
        return payload

    def _specific(self, record: RawRecord, proc: ProcInfo) -> dict[str, Any]:
        kind = record.syscall
        if kind in ("open", "openat"):
            return self._open(record, proc)
        if kind == "connect":
            return self._connect(record)
        if kind in _SOCKET_RESULTS:
            return self._socket_fd(record)
        if kind == "socket":
            return _socket(record)
        if kind == "capset":
            return _capset(record)
        arguments = _ARGUMENTS.get(kind)
        # An exec's strings past the file name are argv and argument-area chunks, already
        # in proc.*: only the name is an argument here (and only it may be marked as cut).
        shown = record.strings[1:2] if kind in ("execve", "execveat") else record.strings[1:]
        strings = tuple(self._marked(value) for value in shown)
        return {} if arguments is None else arguments(record.args, strings)

    def _open(self, record: RawRecord, proc: ProcInfo) -> dict[str, Any]:
        flags, dirfd = record.args[0], _s32(record.args[2])
        raw = record.strings[1] if len(record.strings) > 1 else ""
        path = raw
        read_back = False
        if len(record.strings) > 2:
            path = record.strings[2]  # the file the kernel opened (a read found by its dentry)
        elif self._cut(path):
            whole = self.table.readlink(record.pid, f"fd/{record.ret}") if record.ret >= 0 else ""
            read_back = whole.startswith("/")
            path = whole if read_back else self._marked(path)
        # Read back whole and written the same way: the raw name is whole too.
        nameraw = path if read_back and path.startswith(raw) else self._marked(raw)
        if not path.startswith("/"):
            base = proc.cwd
            if dirfd != _AT_FDCWD:
                base = self.table.readlink(record.pid, f"fd/{dirfd}")
            path = posixpath.normpath(posixpath.join(base, path)) if base else path
        elif "/." in path and not path.endswith(TRUNCATED):
            path = posixpath.normpath(path)  # Falco's fd.name has no "." or ".." steps
        access = flags & 3
        return {
            "fd.name": path,
            "fd.nameraw": nameraw,
            "fd.directory": posixpath.dirname(path),
            "fd.filename": posixpath.basename(path),
            "fd.num": record.ret if record.ret >= 0 else -1,
            "fd.typechar": "d" if flags & 0o200000 else "f",
            "fd.type": "directory" if flags & 0o200000 else "file",
            "evt.is_open_read": access in (0, 2),
            "evt.is_open_write": access in (1, 2),
            "evt.is_open_create": bool(flags & 0o100),
            "evt.arg.flags": open_flags_text(flags),
            "evt.arg.name": path,
            "evt.arg.fd": record.ret,
        }

    def _connect(self, record: RawRecord) -> dict[str, Any]:
        family, port = record.args[0], record.args[1]
        sip = _ip(record)
        l4 = _L4.get((record.args[5] >> 16) & 0xFFFF, "unknown")
        cport = record.args[5] & 0xFFFF
        v4 = family == 2
        return {
            "fd.typechar": "4" if v4 else "6",
            "fd.type": "ipv4" if v4 else "ipv6",
            "fd.sockfamily": "ip",
            "fd.l4proto": l4,
            "fd.sip": sip,
            "fd.rip": sip,
            "fd.ip": sip,
            "fd.net": sip,
            "fd.snet": sip,
            "fd.rnet": sip,
            "fd.sport": port,
            "fd.rport": port,
            "fd.port": port,
            "fd.cport": cport,
            "fd.lport": cport,
            "fd.name": f":{cport}->{sip}:{port}" if v4 else f":{cport}->[{sip}]:{port}",
            "fd.connected": record.ret == 0,
            "fd.is_server": False,
            **self._names(sip, "fd.sip.name", "fd.rip.name"),
        }

    def _names(self, address: str, *fields: str) -> dict[str, str]:
        name = self.hosts.name(address) if self.hosts is not None else None
        return {} if name is None else dict.fromkeys(fields, name)

    def _socket_fd(self, record: RawRecord) -> dict[str, Any]:
        """dup*/accept* that returned an IP socket: Falco's fd fields of that socket.

        Falco's client/server view: after accept() the process is the server (``fd.sip``
        is the local address); a dup of a socket accepted earlier keeps that view, any
        other socket is the client side of a connection (``fd.cip`` local).
        """
        old, kinds, ports, inode = record.args[0], record.args[1], record.args[2], record.args[3]
        remote = record.strings[1] if len(record.strings) > 1 else ""
        local = record.strings[2] if len(record.strings) > 2 else ""
        rport, lport = (ports >> 16) & 0xFFFF, ports & 0xFFFF
        accepted = record.syscall.startswith("accept")
        if accepted:
            if len(self._server_sockets) >= _MAX_SERVER_SOCKETS:  # the oldest is long closed
                del self._server_sockets[next(iter(self._server_sockets))]
            self._server_sockets[inode] = None
        server = accepted or inode in self._server_sockets
        sip, sport, cip, cport = (
            (local, lport, remote, rport) if server else (remote, rport, local, lport)
        )
        v4 = kinds & 0xFF == 2
        pair = f"{cip}:{cport}->{sip}:{sport}" if v4 else f"[{cip}]:{cport}->[{sip}]:{sport}"
        payload: dict[str, Any] = {
            "fd.num": record.ret,
            "fd.ino": inode,
            "fd.typechar": "4" if v4 else "6",
            "fd.type": "ipv4" if v4 else "ipv6",
            "fd.sockfamily": "ip",
            "fd.l4proto": _L4.get((kinds >> 8) & 0xFF, "unknown"),
            "fd.name": pair,
            "fd.sip": sip,
            "fd.sport": sport,
            "fd.cip": cip,
            "fd.cport": cport,
            "fd.lip": local,
            "fd.lport": lport,
            "fd.rip": remote,
            "fd.rport": rport,
            "fd.is_server": server,
            "fd.connected": rport != 0,
            **self._names(sip, "fd.sip.name"),
            **self._names(cip, "fd.cip.name"),
            **self._names(local, "fd.lip.name"),
            **self._names(remote, "fd.rip.name"),
        }
        if not accepted:
            payload["evt.arg.oldfd" if record.syscall != "dup" else "evt.arg.fd"] = old
            if record.syscall != "dup":
                payload["evt.arg.newfd"] = record.ret
        return payload


_SOCKET_RESULTS = frozenset({"dup", "dup2", "dup3", "accept", "accept4"})


def _socket(record: RawRecord) -> dict[str, Any]:
    family, kind, protocol = record.args[0], record.args[1], record.args[2]
    return {
        "evt.arg.domain": _FAMILIES.get(family, str(family)),
        "evt.arg.type": _SOCKET_TYPES.get(kind & 0xF, str(kind & 0xF)),
        "evt.arg.proto": protocol,
        "fd.num": record.ret if record.ret >= 0 else -1,
    }


def _capset(record: RawRecord) -> dict[str, Any]:
    permitted = capabilities_text(record.args[0])
    inheritable = capabilities_text(record.args[1])
    effective = capabilities_text(record.cap_effective)
    return {
        "evt.arg.cap_effective": effective,
        "evt.arg.cap_permitted": permitted,
        "evt.arg.cap_inheritable": inheritable,
        "thread.cap_permitted": permitted,
        "thread.cap_inheritable": inheritable,
    }
