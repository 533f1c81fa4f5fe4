"""The bpftrace program of the sensor, generated from a few parameters.

Why generated, and not a static ``.bt`` file: bpftrace 0.17 has no loops over array
indices, so the argv capture is unrolled here; the sensor's own pid is excluded in
the kernel so that it never observes (and amplifies) itself.

Wire format (``bpftrace -f json`` wraps each ``printf`` in ``{"type": "printf",
"data": ...}`` and escapes the text, so newlines in file names cannot split lines):

* ``H <probe> <tid> <pid> <ppid> <uid> <gid> <cgroup> <nsecs> <ret> <cap> <start> <a1>..<a6>
  <n>``: a header with numbers only (``cap``: the thread's effective capability set;
  ``start``: when its process started, kernel monotonic ns, for ``proc.duration``), then
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
    "ARG_AREA_CHUNKS",
    "HEADER_FIELDS",
    "SENSITIVE_READ_PREFIXES",
    "ProgramConfig",
    "missing_syscalls",
    "probed_syscalls",
    "render",
]

ARGV_MAX = 8
"""argv entries captured per exec; longer command lines are cut (``proc.cmdnargs`` says so)."""

HEADER_FIELDS = 19
"""Tab-separated fields of an ``H`` line: tag, probe, tid .. ret (8), cap, start, a1..a6, n."""

OVERLAYFS_MAGIC = 0x794C7630
"""``s_magic`` of an overlayfs superblock (``OVERLAYFS_SUPER_MAGIC``)."""

ARG_AREA_CHUNKS = 8
"""Chunks of ``strlen - 1`` bytes of an exec's argument area read again when it is longer
than one string: command lines up to 8 x 63 = 504 bytes arrive whole (past ARGV_MAX too)."""

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
    kernel_cap_u64: bool = True  # kernel_cap_t is one u64 since Linux 6.3, two u32 before
    strlen: int = 64

    def has(self, syscall: str) -> bool:
        return self.available is None or syscall in self.available


_CAP = "__CAP_EFFECTIVE__"
"""Placeholder in the header for the effective capability set (its layout is per kernel)."""
_COMMON = (
    "tid, pid, curtask->real_parent->tgid, uid, gid, cgroup, nsecs, args->ret, " + _CAP + ", "
    "curtask->group_leader->start_time"
)
_HEAD = 'printf("H\\t%s\\t%d\\t%d\\t%d\\t%d\\t%d\\t%llu\\t%llu\\t%d\\t%llu\\t%llu'
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


def _arg_area_chunk(index: int, size: int) -> str:
    """One exit block printing up to ``size`` raw bytes of the new program's argument area.

    The area (``mm->arg_start`` .. ``arg_end``) holds every argv string, NUL-separated,
    in the new process's memory; no byte past ``arg_end`` (the environment) is read.
    """
    return f"""
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  if (@xc[tid] > {index}) {{
    $k = @xl[tid] - {index * size};
    if ($k > {size}) {{ $k = {size}; }}
    printf("S\\t%d\\t%r\\n", tid, buf(uptr(curtask->mm->arg_start + {index * size}), $k));
  }}
}}"""


def _exec_probes(exclude: int, strlen: int) -> str:
    stores = "\n  ".join(f"@x{i}[tid] = str(args->argv[{i}]);" for i in range(ARGV_MAX))
    count = "$n = 0;\n  " + "\n  ".join(
        f"if ($n == {i} && args->argv[{i}] != 0) {{ $n = {i + 1}; }}" for i in range(ARGV_MAX)
    )
    chunks = "".join(_argv_chunk(range(i, i + _PER_BLOCK)) for i in range(0, ARGV_MAX, _PER_BLOCK))
    size = strlen - 1
    area = "".join(_arg_area_chunk(i, size) for i in range(ARG_AREA_CHUNKS))
    deletes = " ".join(f"delete(@x{i}[tid]);" for i in range(ARGV_MAX))
    header = _header(
        ["$tty", "curtask->loginuid.val", "$n", "$layer", "$l", "$memfd"], "2 + $n + @xc[tid]"
    )
    return f"""
tracepoint:syscalls:sys_enter_execve, tracepoint:syscalls:sys_enter_execveat /pid != {exclude}/ {{
  @xs[tid] = 1;
  @xf[tid] = str(args->filename);
  {count}
  @xn[tid] = $n;
  @xm[tid] = 0;
  if ($n == {ARGV_MAX} && args->argv[{ARGV_MAX}] != 0) {{ @xm[tid] = 1; }}
  {stores}
}}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  $tty = (uint64)0;
  if (curtask->signal->tty != 0) {{
    $maj = (uint64)curtask->signal->tty->driver->major;
    $min = (uint64)(curtask->signal->tty->driver->minor_start + curtask->signal->tty->index);
    $tty = ($min & 0xff) | ($maj << 8) | (($min & ~0xff) << 12);
  }}
  // Overlayfs keeps the upper-layer dentry right after the VFS inode in its own inode
  // (struct ovl_inode): non-NULL means the file is in the container's writable layer.
  // A file made by memfd_create() is named "memfd:<name>": a program run from memory.
  $layer = 0;
  $memfd = 0;
  if (args->ret == 0) {{
    $exe = (struct file *)curtask->mm->exe_file;
    $dentry = (struct dentry *)$exe->f_path.dentry;
    $sb = (struct super_block *)$dentry->d_sb;
    if ($sb->s_magic == {OVERLAYFS_MAGIC}) {{
      $layer = 1;
      if (*(uint64 *)((uint64)$dentry->d_inode + sizeof(struct inode)) != 0) {{ $layer = 2; }}
    }}
    if (strncmp(str($dentry->d_name.name, 7), "memfd:", 6) == 0) {{ $memfd = 1; }}
  }}
  // The argument area is shipped again, in chunks, only when the argv strings above may
  // miss something: one was cut (the area is longer than a string) or there are more.
  $l = (uint64)0;
  @xc[tid] = 0;
  if (args->ret == 0) {{
    $l = curtask->mm->arg_end - curtask->mm->arg_start;
    if ($l > {size} || @xm[tid] == 1) {{
      @xc[tid] = ($l + {size - 1}) / {size};
      if (@xc[tid] > {ARG_AREA_CHUNKS}) {{ @xc[tid] = {ARG_AREA_CHUNKS}; }}
    }}
  }}
  @xl[tid] = $l;
  $n = @xn[tid];
  {header}
  {_STR.format(value="comm")}
}}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  {_STR.format(value="@xf[tid]")}
}}
{chunks}{area}
tracepoint:syscalls:sys_exit_execve, tracepoint:syscalls:sys_exit_execveat /@xs[tid] == 1/ {{
  delete(@xs[tid]); delete(@xf[tid]); delete(@xn[tid]); delete(@xc[tid]); delete(@xl[tid]);
  delete(@xm[tid]); {deletes}
}}
"""


def _path_filter(expr: str) -> str:
    """True for a write open or a read of a sensitive prefix; quiet device writes excluded."""
    reads = " || ".join(f'strncmp({expr}, "{p}", {len(p)}) == 0' for p in SENSITIVE_READ_PREFIXES)
    quiet = " || ".join(f'strncmp({expr}, "{p}", {len(p)}) == 0' for p in _QUIET_WRITES)
    return f"(($w && !({quiet})) || ({reads}))"


_SENSITIVE_ETC_NAMES = ("shadow", "gshadow", "sudoers", "pam.conf")
"""Files directly below /etc whose reads are reported whatever path opened them."""


def _resolved_sensitive_read() -> str:
    """Statements (exit of an unselected read open) reporting it if it opened a sensitive file.

    The path filter at the enter sees the path as written: ``shadow`` after ``cd /etc``
    or ``/srv/www/../../etc/shadow`` would slip through. The file actually opened is
    checked here instead: its dentry is one of :data:`_SENSITIVE_ETC_NAMES` in a
    directory ``etc`` directly below a filesystem root. The raw path is read again
    from the caller's memory; the resolved one is printed as a third string.
    """
    names = " || ".join(f'strncmp($name, "{n}", {len(n) + 1}) == 0' for n in _SENSITIVE_ETC_NAMES)
    return f"""
  if (args->ret >= 0) {{
    $file = (struct file *)*(curtask->files->fdt->fd + args->ret);
    $dentry = (struct dentry *)$file->f_path.dentry;
    $dir = (struct dentry *)$dentry->d_parent;
    $top = (struct dentry *)$dir->d_parent;
    if ($top->d_parent == $top && strncmp(str($dir->d_name.name, 5), "etc", 4) == 0) {{
      $name = str($dentry->d_name.name, 10);
      if ({names}) {{
        {_header(["$file->f_flags", "0", "-100"], 3)}
        {_STR.format(value="comm")}
        {_STR.format(value="str(uptr(@oq[tid]))")}
        printf("S\\t%d\\t/etc/%s\\n", tid, $name);
      }}
    }}
  }}"""


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
  }} else if (!$w) {{
    @oq[tid] = (uint64)args->filename;
  }}
}}
tracepoint:syscalls:sys_exit_{name} /@os[tid] == 1/ {{
  {_header(["@of[tid]", "@om[tid]", "@od[tid]"], 2)}
  {_STR.format(value="comm")}
  {_STR.format(value="@op[tid]")}
  delete(@os[tid]); delete(@op[tid]); delete(@of[tid]); delete(@om[tid]); delete(@od[tid]);
}}
tracepoint:syscalls:sys_exit_{name} /@oq[tid] != 0/ {{{_resolved_sensitive_read()}
  delete(@oq[tid]);
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


def _socket_report(fd: str, first: str, extra: str = "") -> str:
    """Statements that print a record for ``fd`` when it is an IPv4 or IPv6 socket.

    Numbers: ``first`` (the dup's old fd, or 0), family | type << 8 | protocol << 16,
    remote port << 16 | local port, the socket's inode; strings: comm, remote and local
    address (``ntop``). Anything else (a pipe, a file, a unix socket) prints nothing.
    """
    numbers = [first, "$fam | ($sock->type << 8) | ($sk->sk_protocol << 16)", "$ports", "$ino"]
    local4 = "ntop(2, $sk->__sk_common.skc_rcv_saddr)"
    remote4 = "ntop(2, $sk->__sk_common.skc_daddr)"
    local6 = "ntop(10, $sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)"
    remote6 = "ntop(10, $sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8)"
    return f"""
  $file = (struct file *)*(curtask->files->fdt->fd + {fd});
  $inode = (struct inode *)$file->f_inode;
  if ($file != 0 && ($inode->i_mode & 0xf000) == 0xc000) {{
    $sock = (struct socket *)$file->private_data;
    $sk = (struct sock *)$sock->sk;
    $fam = $sk->__sk_common.skc_family;
    if ($fam == 2 || $fam == 10) {{
      $dport = $sk->__sk_common.skc_dport;
      $ports = (((($dport & 0xff) << 8) | ($dport >> 8)) << 16) | $sk->__sk_common.skc_num;
      $ino = $inode->i_ino;
      {_header(numbers, 3)}
      {_STR.format(value="comm")}
      if ($fam == 2) {{
        {_STR.format(value=remote4)}
        {_STR.format(value=local4)}
      }} else {{
        {_STR.format(value=remote6)}
        {_STR.format(value=local6)}
      }}
    }}
  }}{extra}"""


def _dup_accept_probes(config: ProgramConfig) -> str:
    """dup/dup2/dup3 and accept/accept4 whose resulting fd is an IP socket.

    Only sockets are reported: shells dup pipes and files all the time, and what rules
    look for is a standard stream turned into a network connection (a reverse shell).
    The fd is looked up in the task's fd table at the exit, once the syscall made it.
    """
    exclude = int(config.exclude_pid)
    out: list[str] = []
    for name, old in (("dup", "args->fildes"), ("dup2", "args->oldfd"), ("dup3", "args->oldfd")):
        if config.has(name):
            out.append(f"""
tracepoint:syscalls:sys_enter_{name} /pid != {exclude}/ {{ @ds[tid] = 1; @do[tid] = {old}; }}
tracepoint:syscalls:sys_exit_{name} /@ds[tid] == 1/ {{
  if (args->ret >= 0) {{{_socket_report("args->ret", "@do[tid]")}
  }}
  delete(@ds[tid]); delete(@do[tid]);
}}
""")
    for name in ("accept", "accept4"):
        if config.has(name):
            out.append(f"""
tracepoint:syscalls:sys_enter_{name} /pid != {exclude}/ {{ @as[tid] = 1; }}
tracepoint:syscalls:sys_exit_{name} /@as[tid] == 1/ {{
  if (args->ret >= 0) {{{_socket_report("args->ret", "0")}
  }}
  delete(@as[tid]);
}}
""")
    return "".join(out)


_QUIET_FAMILIES = (1, 16)
"""AF_UNIX and AF_NETLINK sockets are created constantly by ordinary programs: not reported."""


def _socket_probes(config: ProgramConfig) -> str:
    """socket(): family, type and protocol, for every family but the quiet ones."""
    if not config.has("socket"):
        return ""
    exclude = int(config.exclude_pid)
    quiet = " && ".join(f"args->family != {f}" for f in _QUIET_FAMILIES)
    return f"""
tracepoint:syscalls:sys_enter_socket /pid != {exclude} && {quiet}/ {{
  @ks[tid] = 1; @kf[tid] = args->family; @kt[tid] = args->type; @kp[tid] = args->protocol;
}}
tracepoint:syscalls:sys_exit_socket /@ks[tid] == 1/ {{
  {_header(["@kf[tid]", "@kt[tid]", "@kp[tid]"], 1)}
  {_STR.format(value="comm")}
  delete(@ks[tid]); delete(@kf[tid]); delete(@kt[tid]); delete(@kp[tid]);
}}
"""


def _capset_probes(config: ProgramConfig) -> str:
    """capset(): the new permitted and inheritable sets (the effective one is in the header)."""
    if not config.has("capset"):
        return ""
    exclude = int(config.exclude_pid)
    sets = [_cap_expression("cap_permitted", config), _cap_expression("cap_inheritable", config)]
    return f"""
tracepoint:syscalls:sys_enter_capset /pid != {exclude}/ {{ @ps[tid] = 1; }}
tracepoint:syscalls:sys_exit_capset /@ps[tid] == 1/ {{
  {_header(sets, 1)}
  {_STR.format(value="comm")}
  delete(@ps[tid]);
}}
"""


def _cap_expression(name: str, config: ProgramConfig) -> str:
    """A capability set of the current task as one 64-bit number, for this kernel's layout."""
    field = f"curtask->cred->{name}"
    if config.kernel_cap_u64:
        return f"{field}.val"
    return f"({field}.cap[0] | ((uint64){field}.cap[1] << 32))"


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


_OPTIONAL = (*_SIMPLE, "dup", "dup2", "dup3", "accept", "accept4", "socket", "capset")
"""Syscalls probed only when this kernel has their tracepoints."""


def probed_syscalls(config: ProgramConfig) -> list[str]:
    """The syscalls the program for ``config`` traces, to report what is not covered."""
    fixed = ["execve", "execveat", "open", "openat", "connect"]
    return fixed + [name for name in _OPTIONAL if config.has(name)]


def missing_syscalls(config: ProgramConfig) -> list[str]:
    """Syscalls the sensor would trace but this kernel has no tracepoint for."""
    return [name for name in _OPTIONAL if not config.has(name)]


def render(config: ProgramConfig) -> str:
    """The complete bpftrace program text for ``config``."""
    exclude = int(config.exclude_pid)
    body = (
        _exec_probes(exclude, config.strlen)
        + _open_probes(exclude)
        + _connect_probes(exclude)
        + _simple_probes(config)
        + _dup_accept_probes(config)
        + _socket_probes(config)
        + _capset_probes(config)
    )
    body = body.replace(_CAP, _cap_expression("cap_effective", config))
    return "// secloop sensor: generated, do not edit\n" + body
