"""Fields of the ``syscall`` source, declared ahead of the sensor that will fill them.

The names and types are Falco's (``proc.*``, ``fd.*``, ``container.*``, ``user.*``,
``group.*``, ``evt.*``, ``thread.*``, ``fs.path.*``, ``k8s.*``) so the stable, incubating
and sandbox rule files load and compile today. Values come from a flat payload
``{"proc.name": "bash", "proc.aname[2]": "sshd", ...}``: what Falco's JSON output
carries in ``output_fields`` and what the later bpftrace sensor will produce.

Falco's ancestor fields without an index (``proc.aname``, ``proc.apid``, ...) hold a
tuple of all ancestors and match when *any* ancestor satisfies the comparison.
"""

from __future__ import annotations

from secloop.runtime.event import Event, FieldValue
from secloop.runtime.fields import common
from secloop.runtime.fields.base import ArgKind, Catalogue, FieldSpec, FieldType, RawExtractor

__all__ = ["CATALOGUE", "EVENT_TYPES"]

# One declaration per line: name, then flags: i=int b=bool a=ipaddr n=ipnet y=bytes
# l=list x=index argument k=required key argument o=optional key argument *=any-match.
_DECLARATIONS = """
evt.num i|evt.time|evt.time.s|evt.time.iso8601|evt.datetime|evt.datetime.s|evt.rawtime i
evt.rawtime.s i|evt.rawtime.ns i|evt.reltime i|evt.reltime.s i|evt.reltime.ns i
evt.pluginname|evt.plugininfo|evt.source|evt.is_async b|evt.asynctype|evt.hostname
evt.latency i|evt.latency.s i|evt.latency.ns i|evt.latency.human|evt.deltatime i
evt.deltatime.s i|evt.deltatime.ns i|evt.outputtime i|evt.dir|evt.type|evt.type.is k
evt.category|evt.cpu i|evt.args|evt.arg k|evt.rawarg k|evt.info|evt.buffer y|evt.buflen i
evt.res|evt.rawres i|evt.failed b|evt.is_io b|evt.is_io_read b|evt.is_io_write b|evt.io_dir
evt.is_wait b|evt.wait_latency i|evt.is_syslog b|evt.count i|evt.count.error i
evt.count.error.file i|evt.count.error.net i|evt.count.error.memory i|evt.count.error.other i
evt.count.exit i|evt.around k|evt.abspath k|evt.abspath.src|evt.abspath.dst
evt.is_open_read b|evt.is_open_write b|evt.is_open_exec b|evt.is_open_create b
proc.exe|proc.pexe|proc.aexe x*|proc.exepath|proc.pexepath|proc.aexepath x*|proc.name
proc.pname|proc.aname x*|proc.args|proc.cmdline|proc.pcmdline|proc.acmdline x*
proc.cmdnargs i|proc.cmdlenargs i|proc.exeline|proc.env o|proc.aenv o*|proc.cwd
proc.loginshellid i|proc.tty i|proc.pid i|proc.ppid i|proc.apid ix*|proc.vpid i|proc.pvpid i
proc.sid i|proc.sname|proc.sid.exe|proc.sid.exepath|proc.vpgid i|proc.vpgid.name
proc.vpgid.exe|proc.vpgid.exepath|proc.duration i|proc.ppid.duration i|proc.pid.ts i
proc.ppid.ts i|proc.is_exe_writable b|proc.is_exe_upper_layer b|proc.is_exe_from_memfd b
proc.is_sid_leader b|proc.is_vpgid_leader b|proc.exe_ino i|proc.exe_ino.ctime i
proc.exe_ino.mtime i|proc.exe_ino.ctime_duration_proc_start i
proc.exe_ino.ctime_duration_pidns_start i|proc.pidns_init_start_ts i|proc.thread.cap_permitted
proc.thread.cap_inheritable|proc.thread.cap_effective|proc.fdopencount i|proc.fdlimit i
proc.fdusage|proc.vmsize i|proc.vmrss i|proc.vmswap i|proc.pfmajor i|proc.pfminor i
proc.stdin.type|proc.stdout.type|proc.stderr.type|proc.stdin.name|proc.stdout.name
proc.stderr.name|proc.nthreads i|proc.nchilds i|proc.cpu i|proc.is_container_healthcheck b
proc.is_container_liveness_probe b|proc.is_container_readiness_probe b
thread.tid i|thread.ismain b|thread.vtid i|thread.exectime i|thread.totexectime i
thread.cgroups|thread.cgroup k|thread.nametid|thread.cap_permitted|thread.cap_inheritable
thread.cap_effective
user.uid i|user.name|user.homedir|user.shell|user.loginuid i|user.loginname
group.gid i|group.name
container.id|container.full_id|container.name|container.image|container.image.id
container.type|container.privileged b|container.mounts|container.mount k|container.mount.source k
container.mount.dest k|container.mount.mode k|container.mount.rdwr k
container.mount.propagation k|container.image.repository|container.image.tag
container.image.digest|container.healthcheck|container.liveness_probe
container.readiness_probe|container.start_ts i|container.duration i|container.ip a
container.cni.json|container.host_pid b|container.host_network b|container.host_ipc b
container.label k|container.labels|container.info
fd.num i|fd.type|fd.typechar|fd.name|fd.directory|fd.filename|fd.ip a|fd.cip a|fd.sip a
fd.lip a|fd.rip a|fd.port i|fd.cport i|fd.sport i|fd.lport i|fd.rport i|fd.l4proto
fd.sockfamily|fd.is_server b|fd.uid|fd.containername|fd.containerdirectory|fd.proto
fd.cproto|fd.sproto|fd.lproto|fd.rproto|fd.net n|fd.cnet n|fd.snet n|fd.lnet n|fd.rnet n
fd.connected b|fd.name_changed b|fd.cip.name|fd.sip.name|fd.lip.name|fd.rip.name|fd.dev i
fd.dev.major i|fd.dev.minor i|fd.ino i|fd.nameraw|fd.types lo|fd.is_upper_layer b
fd.is_lower_layer b
fdlist.nums|fdlist.names|fdlist.cips|fdlist.sips|fdlist.cports|fdlist.sports
fs.path.name|fs.path.nameraw|fs.path.source|fs.path.sourceraw|fs.path.target
fs.path.targetraw
k8s.pod.name|k8s.pod.id|k8s.pod.uid|k8s.pod.sandbox_id|k8s.pod.full_sandbox_id
k8s.pod.label k|k8s.pod.labels|k8s.pod.ip|k8s.pod.cni.json|k8s.ns.name|k8s.ns.id
k8s.ns.label k|k8s.ns.labels|k8s.rc.name|k8s.rc.id|k8s.rc.label k|k8s.rc.labels
k8s.svc.name|k8s.svc.id|k8s.svc.label k|k8s.svc.labels|k8s.rs.name|k8s.rs.id|k8s.rs.label k
k8s.rs.labels|k8s.deployment.name|k8s.deployment.id|k8s.deployment.label k
k8s.deployment.labels
"""

_TYPES = {"i": FieldType.INT, "b": FieldType.BOOL, "a": FieldType.IPADDR, "n": FieldType.IPNET}
_TYPES["y"] = FieldType.BYTES


def _parse(line: str) -> FieldSpec:
    name, _, flags = line.strip().partition(" ")
    kind = next((t for flag, t in _TYPES.items() if flag in flags), FieldType.STRING)
    arg = ArgKind.NONE
    if "x" in flags:
        arg = ArgKind.INDEX
    elif "k" in flags:
        arg = ArgKind.KEY
    elif "o" in flags:
        arg = ArgKind.OPTIONAL_KEY
    return FieldSpec(name, kind, is_list="l" in flags, arg=arg, any_match="*" in flags)


def _declared() -> list[FieldSpec]:
    items = _DECLARATIONS.replace("\n", "|").split("|")
    return [_parse(item) for item in items if item.strip()]


# ``evt.arg.flags`` is ``evt.arg[flags]``; likewise the other dotted-argument forms.
_PREFIXES = {
    "evt.arg.": FieldSpec("evt.arg", arg=ArgKind.KEY),
    "evt.rawarg.": FieldSpec("evt.rawarg", arg=ArgKind.KEY),
}


_NATIVE = {FieldType.INT: int, FieldType.BOOL: bool}


def _factory(spec: FieldSpec, arg: str | None) -> tuple[RawExtractor, bool]:
    key = spec.name if arg is None else f"{spec.name}[{arg}]"
    dotted = None if arg is None else f"{spec.name}.{arg}"
    kind = spec.type
    # A value already of the field's own Python type (what the sensor builds) is returned
    # as is; anything else (JSON text, lists, a bool read as text) goes through _normalise.
    native = _NATIVE.get(kind, str)
    fallback = common.extractor(spec, arg) if spec.name.startswith("evt.") else None

    def extract(event: Event) -> FieldValue | None:
        payload = event.payload
        value = payload.get(key)
        if value is None:
            if dotted is not None:
                value = payload.get(dotted)
            if value is None:
                return None if fallback is None else fallback(event)
        if value.__class__ is native:
            return value  # type: ignore[return-value] # checked: str, int or bool
        return _normalise(value, kind)

    return extract, False


def _normalise(value: object, kind: FieldType) -> FieldValue | None:
    """A payload value as the field's declared type (JSON often carries numbers as text)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        items = (_scalar(v, kind) for v in value)
        return tuple(v for v in items if v is not None)
    return _scalar(value, kind)


def _scalar(  # noqa: PLR0911 - one exit per type and shape
    value: object, kind: FieldType
) -> str | int | bool | None:
    if kind is FieldType.INT:
        if isinstance(value, int):
            return int(value)
        try:
            return int(str(value), 0)
        except ValueError:
            return None
    if kind is FieldType.BOOL:
        if isinstance(value, bool):
            return value
        return str(value).lower() == "true"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


CATALOGUE = Catalogue("syscall", _declared(), _factory, prefixes=_PREFIXES)

# Event types Falco knows (syscalls and its own meta events): ``evt.type = X`` with any
# other X is a rule error in Falco ("unknown event type"), and so it is here.
EVENT_TYPES = frozenset(
    [
        "accept",
        "accept4",
        "access",
        "alarm",
        "bind",
        "bpf",
        "brk",
        "capset",
        "chdir",
        "chmod",
        "chown",
        "chroot",
        "clone",
        "clone3",
        "close",
        "connect",
        "container",
        "copy_file_range",
        "creat",
        "dup",
        "dup2",
        "dup3",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_pwait",
        "epoll_wait",
        "eventfd",
        "eventfd2",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "faccessat",
        "faccessat2",
        "fchdir",
        "fchmod",
        "fchmodat",
        "fchown",
        "fchownat",
        "fcntl",
        "fdatasync",
        "fgetxattr",
        "finit_module",
        "flistxattr",
        "flock",
        "fork",
        "fremovexattr",
        "fsconfig",
        "fsetxattr",
        "fsmount",
        "fsopen",
        "fspick",
        "fstat",
        "fstatfs",
        "fsync",
        "ftruncate",
        "futex",
        "getcpu",
        "getcwd",
        "getdents",
        "getdents64",
        "getegid",
        "geteuid",
        "getgid",
        "getgroups",
        "getitimer",
        "getpeername",
        "getpgid",
        "getpgrp",
        "getpid",
        "getppid",
        "getpriority",
        "getresgid",
        "getresuid",
        "getrlimit",
        "getrusage",
        "getsid",
        "getsockname",
        "getsockopt",
        "gettid",
        "gettimeofday",
        "getuid",
        "getxattr",
        "init_module",
        "inotify_init",
        "inotify_init1",
        "io_uring_enter",
        "io_uring_register",
        "io_uring_setup",
        "ioctl",
        "ioprio_get",
        "ioprio_set",
        "kill",
        "lchown",
        "lgetxattr",
        "link",
        "linkat",
        "listen",
        "listxattr",
        "llistxattr",
        "llseek",
        "lremovexattr",
        "lseek",
        "lsetxattr",
        "lstat",
        "madvise",
        "memfd_create",
        "mkdir",
        "mkdirat",
        "mknod",
        "mknodat",
        "mlock",
        "mlock2",
        "mlockall",
        "mmap",
        "mmap2",
        "modify_ldt",
        "mount",
        "move_mount",
        "mprotect",
        "mq_open",
        "mremap",
        "msgget",
        "munlock",
        "munlockall",
        "munmap",
        "name_to_handle_at",
        "nanosleep",
        "newfstatat",
        "notification",
        "open",
        "open_by_handle_at",
        "openat",
        "openat2",
        "page_fault",
        "pause",
        "perf_event_open",
        "personality",
        "pidfd_getfd",
        "pidfd_open",
        "pipe",
        "pipe2",
        "pivot_root",
        "poll",
        "ppoll",
        "prctl",
        "pread",
        "pread64",
        "preadv",
        "preadv2",
        "prlimit",
        "prlimit64",
        "procexit",
        "procinfo",
        "process_vm_readv",
        "process_vm_writev",
        "pselect6",
        "ptrace",
        "pwrite",
        "pwrite64",
        "pwritev",
        "pwritev2",
        "quotactl",
        "read",
        "readlink",
        "readlinkat",
        "readv",
        "reboot",
        "recv",
        "recvfrom",
        "recvmmsg",
        "recvmsg",
        "removexattr",
        "rename",
        "renameat",
        "renameat2",
        "request_key",
        "rmdir",
        "rt_sigaction",
        "rt_sigprocmask",
        "rt_sigreturn",
        "sched_getaffinity",
        "sched_setaffinity",
        "sched_yield",
        "seccomp",
        "select",
        "semctl",
        "semget",
        "semop",
        "send",
        "sendfile",
        "sendfile64",
        "sendmmsg",
        "sendmsg",
        "sendto",
        "setdomainname",
        "setfsgid",
        "setfsuid",
        "setgid",
        "setgroups",
        "sethostname",
        "setitimer",
        "setns",
        "setpgid",
        "setpriority",
        "setregid",
        "setresgid",
        "setresuid",
        "setreuid",
        "setrlimit",
        "setsid",
        "setsockopt",
        "settimeofday",
        "setuid",
        "setxattr",
        "shmget",
        "shutdown",
        "signaldeliver",
        "signalfd",
        "signalfd4",
        "sigreturn",
        "socket",
        "socketcall",
        "socketpair",
        "splice",
        "stat",
        "stat64",
        "statfs",
        "swapoff",
        "swapon",
        "switch",
        "symlink",
        "symlinkat",
        "sync",
        "sync_file_range",
        "syncfs",
        "sysdigevent",
        "syslog",
        "tee",
        "tgkill",
        "timerfd_create",
        "timerfd_settime",
        "times",
        "tkill",
        "truncate",
        "umask",
        "umount",
        "umount2",
        "uname",
        "unlink",
        "unlinkat",
        "unshare",
        "userfaultfd",
        "ustat",
        "utime",
        "utimensat",
        "utimes",
        "vfork",
        "vmsplice",
        "wait4",
        "waitid",
        "write",
        "writev",
        "asyncevent",
        "cpu_hotplug",
        "drop",
        "drop_e",
        "drop_x",
        "infra",
        "k8s",
        "mesos",
        "pluginevent",
        "container_json",
    ]
)
