"""What the kernel record lacks, part two: host names, capabilities, container settings.

* :class:`HostNames`: IP address -> name from an ``/etc/hosts``-format file, for
  ``fd.sip.name`` and friends. Only the file: the sensor makes no DNS query (no
  network at run time, and a lookup per connection would be slow and observable).
* :func:`capabilities_text`: a capability set as Falco prints it
  (``CAP_CHOWN CAP_DAC_OVERRIDE ...``).
* :class:`DockerSettings`: ``container.privileged`` from Docker's own record of the
  container (``<docker root>/containers/<id>/hostconfig.json``). Other runtimes keep no
  such flag in a file the sensor can read, so the field stays absent (unknown) for
  them: never guessed from capabilities or mounts.
"""

from __future__ import annotations

import ipaddress
import json
import time
from functools import lru_cache
from pathlib import Path

from secloop.runtime.sensor.procs import WatchedTable

__all__ = ["CAPABILITIES", "DockerSettings", "HostNames", "capabilities_text"]

CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
"""Capability names by bit number (linux/capability.h)."""


@lru_cache(maxsize=1024)
def capabilities_text(mask: int) -> str:
    """The set bits of ``mask`` as space-separated names; an unknown bit as ``CAP_<n>``."""
    return " ".join(
        CAPABILITIES[bit] if bit < len(CAPABILITIES) else f"CAP_{bit}"
        for bit in range(64)
        if mask >> bit & 1
    )


class HostNames:
    """IP address -> first host name for it in a hosts file, re-read when the file changes."""

    def __init__(self, path: Path = Path("/etc/hosts"), check_interval: float = 1.0) -> None:
        self._file = WatchedTable(path, _host_names, check_interval)

    def name(self, address: str) -> str | None:
        """The name of ``address`` (as the sensor prints it), or None when the file has none."""
        return self._file.table().get(address)


def _host_names(lines: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        try:
            address = str(ipaddress.ip_address(words[0]))
        except ValueError:
            continue  # not an address line: ignored, as the resolver does
        names.setdefault(address, words[1])
    return names


class DockerSettings:
    """``container.privileged`` of Docker containers, read from ``hostconfig.json``.

    The container directory is named by the full 64-hex id; the sensor knows the first
    12. The directory list is re-read on a miss, at most once per ``min_interval``
    seconds; a container's flag is cached (it cannot change while it runs).
    """

    def __init__(self, root: Path = Path("/var/lib/docker"), *, min_interval: float = 1.0) -> None:
        self.root = root / "containers"
        self.min_interval = min_interval
        self._full: dict[str, str] = {}
        self._listed = -min_interval
        self._privileged: dict[str, bool] = {}

    def privileged(self, container_id: str) -> bool | None:
        """True or False from Docker's record; None when Docker has no record of it."""
        found = self._privileged.get(container_id)
        if found is not None:
            return found
        full = self._full_id(container_id)
        if full is None:
            return None
        try:
            config = json.loads((self.root / full / "hostconfig.json").read_bytes()[: 1 << 20])
        except (OSError, ValueError):
            return None
        flag = config.get("Privileged") if isinstance(config, dict) else None
        if not isinstance(flag, bool):
            return None
        if len(self._privileged) < 65_536:
            self._privileged[container_id] = flag
        return flag

    def _full_id(self, container_id: str) -> str | None:
        found = self._full.get(container_id)
        now = time.monotonic()
        if found is None and now - self._listed >= self.min_interval:
            self._listed = now
            try:
                names = [entry.name for entry in self.root.iterdir()]
            except OSError:
                names = []
            self._full = {name[:12]: name for name in names if len(name) == 64}
            found = self._full.get(container_id)
        return found
