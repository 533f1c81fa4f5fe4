"""Tetragon's JSON export (``tetragon.log``, ``tetra getevents -o json``) as syscall events.

Each line is one ``GetEventsResponse``: exactly one of ``process_exec``,
``process_exit``, ``process_kprobe``, ... plus ``node_name`` and ``time``. The
mapping to Falco's field names, so that Falco's syscall rules read these events:

* ``process_exec`` -> ``evt.type = execve``; ``process_exit`` -> ``procexit`` with
  ``evt.arg.status`` / ``evt.arg.sig``;
* ``process_kprobe`` by hooked function: ``fd_install``, ``security_file_open`` and
  ``*_openat`` -> ``openat`` with ``fd.name`` from the ``file_arg`` (Tetragon reports
  opens that succeeded, so ``fd.num >= 0``; the access mode is known only when the
  policy exports a ``flags``/``permission`` argument, else the open counts as a read);
  ``security_file_permission`` -> ``read`` or ``write`` by its ``MAY_*`` mask;
  ``sys_write``/``*_sys_write`` -> ``write``; ``tcp_connect`` -> ``connect`` with the
  ``sock_arg`` endpoints; ``tcp_close`` -> ``close``; ``tcp_sendmsg`` -> ``sendmsg``;
  any other ``sys_X``/``__x64_sys_X`` -> ``X``;
* the process: ``proc.exepath`` is ``binary``, ``proc.name`` its basename,
  ``proc.cmdline`` name plus ``arguments``; the parent gives ``proc.pname`` and
  ``proc.aname[1]`` (the export carries one ancestor only); ``auid`` 4294967295 is
  ``user.loginuid = -1``; ``pod`` gives ``k8s.*`` and ``container.*``, and a process
  outside any container has ``container.id = host``, as in Falco.

Other event kinds (``process_tracepoint``, ``process_lsm``, ...) are dropped and counted
with their kind named, never ignored silently.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import IO, Any

from secloop.runtime.event import Event
from secloop.runtime.sources.interface import FileSource
from secloop.runtime.sources.jsonlines import parse_rfc3339_ns, read_json_values

__all__ = ["TetragonSource", "tetragon_payload"]

_NO_AUID = 4294967295
_MAY_WRITE, _MAY_READ = 2, 4
_OPEN_FUNCTIONS = frozenset(["fd_install", "security_file_open"])
_RENAMED = {"tcp_connect": "connect", "tcp_close": "close", "tcp_sendmsg": "sendmsg"}
_SYSCALL_PREFIXES = ("__x64_sys_", "__arm64_sys_", "__ia32_sys_", "ksys_", "sys_")
KINDS = ("process_exec", "process_exit", "process_kprobe")


class TetragonError(ValueError):
    """One export line cannot be mapped; the message is the drop reason."""


def tetragon_payload(value: object) -> tuple[dict[str, Any], str]:
    """The Falco-named field map of one decoded export line, and its ``time``."""
    if not isinstance(value, dict):
        raise TetragonError("not a Tetragon event (a JSON object is expected)")
    kind = next((k for k in value if k.startswith("process_")), None)
    if kind not in KINDS:
        named = kind or ", ".join(sorted(value)[:5]) or "empty object"
        raise TetragonError(f"Tetragon event kind {named!r} is not mapped")
    body = value[kind]
    if not isinstance(body, dict) or not isinstance(body.get("process"), dict):
        raise TetragonError(f"{kind} without a process")
    payload = _process_fields(body["process"], body.get("parent"))
    payload["evt.hostname"] = str(value.get("node_name", ""))
    if kind == "process_exec":
        payload.update({"evt.type": "execve", "evt.arg.filename": payload["proc.exepath"]})
    elif kind == "process_exit":
        payload.update(
            {
                "evt.type": "procexit",
                "evt.arg.status": body.get("status", 0),
                "evt.arg.sig": body.get("signal", ""),
            }
        )
    else:
        payload.update(_kprobe_fields(body))
    return payload, str(value.get("time", ""))


def _process_fields(process: Mapping[str, Any], parent: object) -> dict[str, Any]:
    binary = str(process.get("binary", ""))
    name = posixpath.basename(binary)
    arguments = str(process.get("arguments", ""))
    auid = process.get("auid", _NO_AUID)
    credentials = process.get("process_credentials")
    uid = process.get("uid", credentials.get("uid") if isinstance(credentials, dict) else None)
    payload: dict[str, Any] = {
        "evt.dir": "<",
        "evt.res": "SUCCESS",
        "evt.failed": False,
        "proc.pid": process.get("pid"),
        "thread.tid": process.get("tid", process.get("pid")),
        "proc.name": name,
        "proc.exe": binary,
        "proc.exepath": binary,
        "proc.args": arguments,
        "proc.cmdline": f"{name} {arguments}".rstrip(),
        "proc.cwd": process.get("cwd"),
        "proc.aname[0]": name,
        "user.uid": uid,
        "user.loginuid": -1 if auid == _NO_AUID else auid,
    }
    user = process.get("user")
    if isinstance(user, dict) and isinstance(user.get("name"), str):
        payload["user.name"] = user["name"]
    payload.update(_pod_fields(process.get("pod")))
    if isinstance(parent, dict):
        payload.update(_parent_fields(parent))
    return {key: value for key, value in payload.items() if value is not None}


def _parent_fields(parent: Mapping[str, Any]) -> dict[str, Any]:
    binary = str(parent.get("binary", ""))
    name = posixpath.basename(binary)
    return {
        "proc.ppid": parent.get("pid"),
        "proc.pname": name,
        "proc.pexe": binary,
        "proc.pexepath": binary,
        "proc.pcmdline": f"{name} {parent.get('arguments', '')}".rstrip(),
        "proc.aname[1]": name,
        "proc.aname": (name,),
        "proc.apid[1]": parent.get("pid"),
        "proc.aexepath[1]": binary,
    }


def _pod_fields(pod: object) -> dict[str, Any]:
    if not isinstance(pod, dict):
        return {"container.id": "host", "container.name": "host"}
    container = _mapping(pod.get("container"))
    full_id = str(container.get("id", "")).partition("://")[2] or str(container.get("id", ""))
    image = _mapping(container.get("image"))
    image_name = str(image.get("name", ""))
    repository, tag = _split_image(image_name)
    fields: dict[str, Any] = {
        "k8s.pod.name": pod.get("name"),
        "k8s.ns.name": pod.get("namespace"),
        "container.id": full_id[:12] or "host",
        "container.full_id": full_id or None,
        "container.name": container.get("name"),
        "container.image": image_name or None,
        "container.image.repository": repository or None,
        "container.image.tag": tag or None,
        "container.image.digest": str(image.get("id", "")).partition("@")[2] or None,
    }
    labels = pod.get("pod_labels")
    if isinstance(labels, dict):
        fields["k8s.pod.labels"] = tuple(f"{k}:{v}" for k, v in labels.items())
        fields.update({f"k8s.pod.label[{k}]": v for k, v in labels.items()})
    return fields


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _split_image(name: str) -> tuple[str, str]:
    """``repo:tag`` (a registry port is not a tag: the tag follows the last ``/``)."""
    bare = name.partition("@")[0]
    slash = bare.rfind("/")
    colon = bare.rfind(":")
    if colon > slash:
        return bare[:colon], bare[colon + 1 :]
    return bare, ""


def _kprobe_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    function = str(body.get("function_name", ""))
    args = [a for a in body.get("args", []) if isinstance(a, dict)]
    file_arg = next((a["file_arg"] for a in args if isinstance(a.get("file_arg"), dict)), None)
    sock_arg = next((a["sock_arg"] for a in args if isinstance(a.get("sock_arg"), dict)), None)
    ints = [a["int_arg"] for a in args if isinstance(a.get("int_arg"), int)]
    fields: dict[str, Any] = {"evt.arg.function": function}
    if body.get("policy_name"):
        fields["evt.arg.policy"] = body["policy_name"]
    if file_arg is not None:
        fields.update(_file_fields(str(file_arg.get("path", ""))))
    if sock_arg is not None:
        fields.update(_sock_fields(sock_arg))
    if function in _OPEN_FUNCTIONS or function.endswith("sys_openat"):
        fields.update(_open_fields(file_arg, ints))
    elif function == "security_file_permission":
        mask = ints[0] if ints else _MAY_READ
        fields["evt.type"] = "write" if mask & _MAY_WRITE else "read"
    else:
        fields["evt.type"] = _RENAMED.get(function) or _syscall_name(function)
        if fields["evt.type"] == "write" and ints:
            fields["fd.num"] = ints[0]
    return fields


def _syscall_name(function: str) -> str:
    for prefix in _SYSCALL_PREFIXES:
        if function.startswith(prefix):
            return function.removeprefix(prefix)
    return function


def _file_fields(path: str) -> dict[str, Any]:
    return {
        "fd.name": path,
        "fd.directory": posixpath.dirname(path),
        "fd.filename": posixpath.basename(path),
        "fd.typechar": "f",
        "fd.type": "file",
    }


def _open_fields(file_arg: Mapping[str, Any] | None, ints: list[int]) -> dict[str, Any]:
    flags = str((file_arg or {}).get("flags", "")) + str((file_arg or {}).get("permission", ""))
    write = "O_WRONLY" in flags or "O_RDWR" in flags or "FMODE_WRITE" in flags
    read = not write or "O_RDWR" in flags
    return {
        "evt.type": "openat",
        "fd.num": ints[0] if ints else 0,
        "evt.is_open_read": read,
        "evt.is_open_write": write,
        "evt.arg.flags": flags,
    }


def _sock_fields(sock: Mapping[str, Any]) -> dict[str, Any]:
    saddr, daddr = str(sock.get("saddr", "")), str(sock.get("daddr", ""))
    sport, dport = sock.get("sport", 0), sock.get("dport", 0)
    v6 = sock.get("family") == "AF_INET6" or ":" in daddr
    l4 = str(sock.get("protocol", "IPPROTO_TCP")).removeprefix("IPPROTO_").lower()
    client = f"[{saddr}]:{sport}" if v6 else f"{saddr}:{sport}"
    server = f"[{daddr}]:{dport}" if v6 else f"{daddr}:{dport}"
    return {
        "fd.typechar": "6" if v6 else "4",
        "fd.type": "ipv6" if v6 else "ipv4",
        "fd.sockfamily": "ip",
        "fd.l4proto": l4,
        "fd.cip": saddr,
        "fd.lip": saddr,
        "fd.cport": sport,
        "fd.lport": sport,
        "fd.sip": daddr,
        "fd.rip": daddr,
        "fd.sport": dport,
        "fd.rport": dport,
        "fd.name": f"{client}->{server}",
        "fd.connected": True,
        "fd.is_server": False,
    }


class TetragonSource(FileSource):
    """Syscall-style events from a Tetragon JSON export in ``path`` (``-`` for stdin)."""

    source = "syscall"

    def _read(self, stream: IO[bytes]) -> Iterator[Event]:
        for line, value in read_json_values(
            stream, self.limits, self.stats, lines_only=self.follow is not None
        ):
            for item in value if isinstance(value, list) else [value]:
                try:
                    payload, time_text = tetragon_payload(item)
                except TetragonError as err:
                    self.stats.drop(f"line {line}: {err}")
                    continue
                self.stats.read += 1
                yield Event(
                    source=self.source,
                    time_ns=parse_rfc3339_ns(time_text) or 0,
                    payload=payload,
                    num=self.stats.read,
                )
