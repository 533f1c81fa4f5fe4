"""The bpftrace program of the sensor, generated from a few parameters.

Why generated, and not a static ``.bt`` file: bpftrace 0.17 has no loops over array
indices, so the argv capture is unrolled here; the sensor's own pid is excluded in
the kernel so that it never observes (and amplifies) itself.

Wire format (``bpftrace -f json`` wraps each ``printf`` in ``{"type": "printf",
"data": ...}`` and escapes the text, so newlines in file names cannot split lines):

* ``H <probe> <tid> <pid> <ppid> <uid> <gid> <cgroup> <nsecs> <ret> <a1>..<a6> <n>``:
  a header with numbers only, then
* ``n`` lines ``S <tid> <string>``: the event's strings (``comm`` first).

Each ``S`` line carries exactly one string, last, so a tab or newline inside an
attacker-chosen name cannot shift fields. Every event is printed from the syscall's
*exit* probe, in one probe run: the enter probe stores arguments in per-thread maps,
because a thread may migrate between enter and exit and bpftrace reads per-CPU
buffers, which would reorder separate enter/exit lines.

Volume is bounded in the kernel: ``open``/``openat`` are reported only for writes
(``O_WRONLY``, ``O_RDWR``, ``O_CREAT``, ``O_TRUNC``) and for reads below a few
sensitive prefixes; ``/dev/null`` and ``/dev/pts``/``/dev/tty`` writes are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARGV_MAX",
    "HEADER_FIELDS",
    "SENSITIVE_READ_PREFIXES",
    "ProgramConfig",
    "missing_syscalls",
    "probed_syscalls",
    "render",
]

ARGV_MAX = 8
"""argv entries captured per exec; longer command lines are cut (``proc.cmdnargs`` says so)."""

HEADER_FIELDS = 17
"""Tab-separated fields of an ``H`` line: tag, probe, tid .. ret (8), a1..a6, n."""

SENSITIVE_READ_PREFIXES = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/pam.",
    "/etc/pam.d/",
    "/etc/security/",
    "/root/.ssh/",
    "/root/.aws/",
    "/root/.kube/",
)
"""Paths whose *reads* are reported; reads elsewhere are too frequent to ship to user space."""

_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000  # O_WRONLY | O_RDWR | O_CREAT | O_TRUNC
_QUIET_WRITES = ("/dev/null", "/dev/pts/", "/dev/tty")


@dataclass(frozen=True, slots=True)
class ProgramConfig:
    """What varies between runs.

    ``exclude_pid`` is the sensor itself, ignored in the kernel. ``available`` holds the
    syscalls that have tracepoints on this kernel (a kernel without module support has
    no ``init_module`` tracepoint, and bpftrace refuses a program naming a missing one);
    None means "assume all".
    """

    exclude_pid: int
    available: frozenset[str] | None = None

    def has(self, syscall: str) -> bool:
        return self.available is None or syscall in self.available


_COMMON = "tid, pid, curtask->real_parent->tgid, uid, gid, cgroup, nsecs, args->ret"
_HEAD = 'printf("H\\t%s\\t%d\\t%d\\t%d\\t%d\\t%d\\t%llu\\t%llu\\t%d'
_STR = 'printf("S\\t%d\\t%s\\n", tid, {value});'


def _header(numbers: list[str], strings: int | str) -> str:
    """A ``printf`` of one ``H`` line with up to six numeric arguments and a string count."""
    values = (numbers + ["0"] * 6)[:6]
    formats = "".join("\\t%lld" for _ in values)
    cast = ", ".join(f"(int64)({v})" for v in values)
    return f'{_HEAD}{formats}\\t%d\\n", probe, {_COMMON}, {cast}, {strings});'


_PER_BLOCK = 1
"""argv strings printed per probe block: each block has its own 512-byte BPF stack."""


def _argv_chunk(indices: range) -> str:
    """One exit block printing a few argv entries.

    Blocks on one tracepoint run in attach (program) order on the same CPU, so the
    lines stay behind the header that the first block printed.
    """
    prints = "\n  ".join(
        f"if (@xn[tid] > {i}) {{ {_STR.format(value=f'@x{i}[tid]')} }}" for i in indices
    )
    return f"""
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  {prints}
}}"""


def _exec_probes(exclude: int) -> str:
    stores = "\n  ".join(f"@x{i}[tid] = str(args->argv[{i}]);" for i in range(ARGV_MAX))
    count = "$n = 0;\n  " + "\n  ".join(
        f"if ($n == {i} && args->argv[{i}] != 0) {{ $n = {i + 1}; }}" for i in range(ARGV_MAX)
    )
    chunks = "".join(_argv_chunk(range(i, i + _PER_BLOCK)) for i in range(0, ARGV_MAX, _PER_BLOCK))
    deletes = " ".join(f"delete(@x{i}[tid]);" for i in range(ARGV_MAX))
    header = _header(["$tty", "curtask->loginuid.val", "$n"], "2 + $n")
    return f"""
tracepoint:syscalls:sys_enter_execve, tracepoint:syscalls:sys_enter_execveat /pid != {exclude}/ {{
  @xs[tid] = 1;
  @xf[tid] = str(args->filename);
  {count}
  @xn[tid] = $n;
  {stores}
}}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  $tty = (uint64)0;
  if (curtask->signal->tty != 0) {{
    $maj = (uint64)curtask->signal->tty->driver->major;
    $min = (uint64)(curtask->signal->tty->driver->minor_start + curtask->signal->tty->index);
    $tty = ($min & 0xff) | ($maj << 8) | (($min & ~0xff) << 12);
  }}
  $n = @xn[tid];
  {header}
  {_STR.format(value="comm")}
}}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  {_STR.format(value="@xf[tid]")}
}}
{chunks}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  delete(@xs[tid]); delete(@xf[tid]); delete(@xn[tid]); {deletes}
}}
"""


def _path_filter(expr: str) -> str:
    """True for a write open or a read of a sensitive prefix; quiet device writes excluded."""
    reads = " || ".join(f'strncmp({expr}, "{p}", {len(p)}) == 0' for p in SENSITIVE_READ_PREFIXES)
    quiet = " || ".join(f'strncmp({expr}, "{p}", {len(p)}) == 0' for p in _QUIET_WRITES)
    return f"(($w && !({quiet})) || ({reads}))"


def _open_probes(exclude: int) -> str:
    out: list[str] = []
    for name, dirfd in (("open", "-100"), ("openat", "args->dfd")):
        out.append(f"""
tracepoint:syscalls:sys_enter_{name} /pid != {exclude}/ {{
  $p = str(args->filename);
  $w = (args->flags & {_WRITE_FLAGS}) != 0;
  if {_path_filter("$p")} {{
    @os[tid] = 1; @op[tid] = $p; @of[tid] = args->flags; @om[tid] = args->mode;
    @od[tid] = (int64){dirfd};
  }}
}}
tracepoint:syscalls:sys_exit_{name} /@os[tid] == 1/ {{
  {_header(["@of[tid]", "@om[tid]", "@od[tid]"], 2)}
  {_STR.format(value="comm")}
  {_STR.format(value="@op[tid]")}
  delete(@os[tid]); delete(@op[tid]); delete(@of[tid]); delete(@om[tid]); delete(@od[tid]);
}}
""")
    return "".join(out)


def _connect_probes(exclude: int) -> str:
    words = " ".join(f"@c{i}[tid] = (uint64)$s6->sin6_addr.in6_u.u6_addr32[{i}];" for i in range(4))
    header = _header(
        [
            "@cf[tid]",
            "@cp[tid]",
            "@c0[tid]",
            "@c1[tid] | (@c2[tid] << 32)",
            "@c3[tid]",
            "($sock->type << 16) | $sock->sk->__sk_common.skc_num",
        ],
        1,
    )
    return f"""
tracepoint:syscalls:sys_enter_connect /pid != {exclude}/ {{
  $sa = (struct sockaddr *)args->uservaddr;
  $fam = $sa->sa_family;
  if ($fam == 2 || $fam == 10) {{
    @cs[tid] = 1; @cf[tid] = $fam; @cd[tid] = args->fd;
    $port = ((struct sockaddr_in *)$sa)->sin_port;
    @cp[tid] = (($port & 0xff) << 8) | ($port >> 8);
    if ($fam == 2) {{
      @c0[tid] = (uint64)((struct sockaddr_in *)$sa)->sin_addr.s_addr;
      @c1[tid] = 0; @c2[tid] = 0; @c3[tid] = 0;
    }} else {{
      $s6 = (struct sockaddr_in6 *)$sa;
      {words}
    }}
  }}
}}
tracepoint:syscalls:sys_exit_connect /@cs[tid] == 1/ {{
  $file = *(curtask->files->fdt->fd + @cd[tid]);
  $sock = (struct socket *)$file->private_data;
  {header}
  {_STR.format(value="comm")}
  delete(@cs[tid]); delete(@cf[tid]); delete(@cd[tid]); delete(@cp[tid]);
  delete(@c0[tid]); delete(@c1[tid]); delete(@c2[tid]); delete(@c3[tid]);
}}
"""


# name -> numeric arguments captured at enter (as bpftrace expressions), strings captured.
_SIMPLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "setuid": (("args->uid",), ()),
    "setgid": (("args->gid",), ()),
    "setresuid": (("args->ruid", "args->euid", "args->suid"), ()),
    "setresgid": (("args->rgid", "args->egid", "args->sgid"), ()),
    "ptrace": (("args->request", "args->pid"), ()),
    "mount": (("args->flags",), ("args->dev_name", "args->dir_name", "args->type")),
    "umount": (("args->flags",), ("args->name",)),
    "init_module": (("args->len",), ()),
    "finit_module": (("args->fd", "args->flags"), ()),
    "bpf": (("args->cmd",), ()),
    "unshare": (("args->unshare_flags",), ()),
    "setns": (("args->fd", "args->flags"), ()),
    "symlink": ((), ("args->oldname", "args->newname")),
    "symlinkat": (("args->newdfd",), ("args->oldname", "args->newname")),
    "link": ((), ("args->oldname", "args->newname")),
    "linkat": (("args->olddfd", "args->newdfd", "args->flags"), ("args->oldname", "args->newname")),
}


def _simple_probes(config: ProgramConfig) -> str:
    exclude = int(config.exclude_pid)
    out: list[str] = []
    for index, (name, (numbers, strings)) in enumerate(_SIMPLE.items()):
        if not config.has(name):
            continue
        tag = f"@s{index}"
        nums = [f"{tag}n{i}[tid]" for i in range(len(numbers))]
        strs = [f"{tag}t{i}[tid]" for i in range(len(strings))]
        store = " ".join(f"{m} = (int64){e};" for m, e in zip(nums, numbers, strict=True))
        store += " " + " ".join(f"{m} = str({e});" for m, e in zip(strs, strings, strict=True))
        prints = "\n  ".join(_STR.format(value=v) for v in ["comm", *strs])
        deletes = " ".join(f"delete({m});" for m in [*nums, *strs])
        out.append(f"""
tracepoint:syscalls:sys_enter_{name} /pid != {exclude}/ {{ {tag}[tid] = 1; {store} }}
tracepoint:syscalls:sys_exit_{name} /{tag}[tid] == 1/ {{
  {_header(nums, 1 + len(strs))}
  {prints}
  delete({tag}[tid]); {deletes}
}}
""")
    return "".join(out)


def probed_syscalls(config: ProgramConfig) -> list[str]:
    """The syscalls the program for ``config`` traces, to report what is not covered."""
    fixed = ["execve", "execveat", "open", "openat", "connect"]
    return fixed + [name for name in _SIMPLE if config.has(name)]


def missing_syscalls(config: ProgramConfig) -> list[str]:
    """Syscalls the sensor would trace but this kernel has no tracepoint for."""
    return [name for name in _SIMPLE if not config.has(name)]


def render(config: ProgramConfig) -> str:
    """The complete bpftrace program text for ``config``."""
    exclude = int(config.exclude_pid)
    body = (
        _exec_probes(exclude)
        + _open_probes(exclude)
        + _connect_probes(exclude)
        + _simple_probes(config)
    )
    return "// secloop sensor: generated, do not edit\n" + body
