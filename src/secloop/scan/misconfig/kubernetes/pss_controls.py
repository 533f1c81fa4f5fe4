"""The Pod Security Standards controls, one function each, written from the standard.

Source: https://kubernetes.io/docs/concepts/security/pod-security-standards/ and the
behaviour of the Pod Security Admission controller at each policy version (measured
against its published fixtures, see tests/unit/misconfig/test_pss.py). A control takes
the pod-spec view and the policy minor version (``1.<minor>``) and returns what it
forbids; which controls apply at which level and from which version is the table in
:mod:`secloop.scan.misconfig.kubernetes.pss`.

Semantics shared by every control: all three container lists count (containers, init
and ephemeral containers); a container-level security-context field overrides the
pod-level one; "unset" is judged as the API server would default it, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.kubernetes.model import Workload, as_list, as_map

__all__ = [
    "BASELINE_CAPABILITIES",
    "RESTRICTED_VOLUME_SOURCES",
    "SAFE_SYSCTLS_LATEST",
    "Forbidden",
    "PssContext",
]

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
_SYSCTLS_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
    }
)  # fmt: skip
_SYSCTLS_1_27 = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29 = _SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
_SYSCTLS_1_32 = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
_SYSCTLS_1_37 = _SYSCTLS_1_32 | {
    "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
}  # fmt: skip
#: (first version, allowed names), oldest first: each release only ever adds names.
_SYSCTLS_BY_VERSION = (
    (27, _SYSCTLS_1_27),
    (29, _SYSCTLS_1_29),
    (32, _SYSCTLS_1_32),
    (37, _SYSCTLS_1_37),
)
SAFE_SYSCTLS_LATEST = _SYSCTLS_1_37
_SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES_1_0 | {"container_engine_t"}
#: Volume sources the restricted level allows; every other source is forbidden.
RESTRICTED_VOLUME_SOURCES = frozenset(
    {
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
        "projected", "secret",
    }
)  # fmt: skip
_SAFE_PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})
_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("httpGet", "tcpSocket")


@dataclass(frozen=True, slots=True)
class Forbidden:
    """One forbidden setting: the field path and what is wrong with it."""

    path: FieldPath
    detail: str


@dataclass(frozen=True, slots=True)
class _Ctx:
    path: FieldPath
    label: str
    values: Mapping[str, Any]


class PssContext:
    """The pod-spec view plus the policy minor version the controls are judged at."""

    __slots__ = ("minor", "workload")

    def __init__(self, workload: Workload, minor: int) -> None:
        self.workload = workload
        self.minor = minor

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.workload.spec

    @property
    def windows(self) -> bool:
        """``spec.os.name: windows`` relaxes Linux-only restricted controls from v1.25."""
        return self.minor >= 25 and as_map(self.spec.get("os")).get("name") == "windows"

    def containers(self) -> Iterator[_Ctx]:
        for container in self.workload.containers:
            yield _Ctx(
                (*container.path, "securityContext"),
                f"container {container.name!r}",
                container.security_context,
            )

    def pod(self) -> _Ctx:
        return _Ctx(
            self.workload.pod_field("securityContext"), "pod", self.workload.security_context
        )

    def contexts(self) -> Iterator[_Ctx]:
        yield self.pod()
        yield from self.containers()


# -- baseline --------------------------------------------------------------------------


def host_namespaces(ctx: PssContext) -> Iterator[Forbidden]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if ctx.spec.get(field) is True:
            yield Forbidden(ctx.workload.pod_field(field), f"host namespaces ({field}=true)")


def privileged(ctx: PssContext) -> Iterator[Forbidden]:
    for c in ctx.containers():
        if c.values.get("privileged") is True:
            yield Forbidden((*c.path, "privileged"), f"{c.label} is privileged")


def _allowed(value: object, allowed: AbstractSet[object]) -> bool:
    """Set membership that survives any manifest value: a dict or list is never allowed
    (an unrendered ``{{ .Values.x }}`` parses as a mapping)."""
    try:
        return value in allowed
    except TypeError:  # unhashable
        return False


def capabilities_baseline(ctx: PssContext) -> Iterator[Forbidden]:
    for c in ctx.containers():
        added = as_list(as_map(c.values.get("capabilities")).get("add"))
        for index, name in enumerate(added):
            if not _allowed(name, BASELINE_CAPABILITIES):
                path = (*c.path, "capabilities", "add", index)
                yield Forbidden(path, f"{c.label} adds non-default capabilities {name}")


def host_path_volumes(ctx: PssContext) -> Iterator[Forbidden]:
    for index, volume in enumerate(as_list(ctx.spec.get("volumes"))):
        if as_map(volume).get("hostPath") is not None:
            yield Forbidden(ctx.workload.pod_field("volumes", index, "hostPath"), "hostPath volume")


def host_ports(ctx: PssContext) -> Iterator[Forbidden]:
    for container in ctx.workload.containers:
        for index, port in enumerate(as_list(container.spec.get("ports"))):
            value = as_map(port).get("hostPort")
            if value not in (None, 0):
                path = (*container.path, "ports", index, "hostPort")
                yield Forbidden(path, f"container {container.name!r} uses hostPort {value}")


def app_armor_profile(ctx: PssContext) -> Iterator[Forbidden]:
    for key, value in ctx.workload.annotations.items():
        text = str(value) if value is not None else ""
        ok = text in {"", "runtime/default"} or text.startswith("localhost/")
        if str(key).startswith(_APPARMOR_PREFIX) and not ok:
            path = (*ctx.workload.metadata_path, "annotations", key)
            yield Forbidden(path, f"forbidden AppArmor profile {text}")
    for c in ctx.contexts():
        kind = as_map(c.values.get("appArmorProfile")).get("type")
        if kind is not None and not _allowed(kind, _SAFE_PROFILE_TYPES):
            path = (*c.path, "appArmorProfile", "type")
            yield Forbidden(path, f"{c.label} has forbidden AppArmor profile {kind}")


def se_linux_options(ctx: PssContext) -> Iterator[Forbidden]:
    allowed = _SELINUX_TYPES_1_31 if ctx.minor >= 31 else _SELINUX_TYPES_1_0
    for c in ctx.contexts():
        options = as_map(c.values.get("seLinuxOptions"))
        kind = options.get("type")
        if kind is not None and not _allowed(kind, allowed):
            path = (*c.path, "seLinuxOptions", "type")
            yield Forbidden(path, f"{c.label} sets forbidden seLinuxOptions type {kind}")
        for field in ("user", "role"):
            if options.get(field):
                path = (*c.path, "seLinuxOptions", field)
                yield Forbidden(path, f"{c.label} sets seLinuxOptions {field}")


def _proc_mounts(ctx: PssContext) -> Iterator[Forbidden]:
    for c in ctx.containers():
        value = c.values.get("procMount")
        if value not in (None, "Default"):
            yield Forbidden((*c.path, "procMount"), f"{c.label} sets procMount {value}")


def proc_mount(ctx: PssContext) -> Iterator[Forbidden]:
    """From v1.35 a pod in its own user namespace (``hostUsers: false``) may unmask /proc."""
    if ctx.minor >= 35 and ctx.spec.get("hostUsers") is False:
        return
    yield from _proc_mounts(ctx)


def proc_mount_restricted(ctx: PssContext) -> Iterator[Forbidden]:
    yield from _proc_mounts(ctx)


def _seccomp_annotations(ctx: PssContext) -> Iterator[Forbidden]:
    for key, value in ctx.workload.annotations.items():
        is_seccomp = key == _SECCOMP_POD or str(key).startswith(_SECCOMP_CONTAINER_PREFIX)
        if is_seccomp and value == "unconfined":
            path = (*ctx.workload.metadata_path, "annotations", key)
            yield Forbidden(path, f"seccompProfile annotation {key} is unconfined")


def seccomp_profile_baseline(ctx: PssContext) -> Iterator[Forbidden]:
    """Before v1.19 the profile was an annotation; from v1.19 it is the field."""
    if ctx.minor < 19:
        yield from _seccomp_annotations(ctx)
        return
    for c in ctx.contexts():
        if as_map(c.values.get("seccompProfile")).get("type") == "Unconfined":
            path = (*c.path, "seccompProfile", "type")
            yield Forbidden(path, f"{c.label} sets seccompProfile type Unconfined")


def sysctls(ctx: PssContext) -> Iterator[Forbidden]:
    allowed = _SYSCTLS_1_0
    for since, names in _SYSCTLS_BY_VERSION:
        if ctx.minor >= since:
            allowed = names
    pod = ctx.pod()
    for index, item in enumerate(as_list(pod.values.get("sysctls"))):
        name = as_map(item).get("name")
        if not _allowed(name, allowed):
            yield Forbidden((*pod.path, "sysctls", index, "name"), f"forbidden sysctl {name}")


def windows_host_process(ctx: PssContext) -> Iterator[Forbidden]:
    for c in ctx.contexts():
        if as_map(c.values.get("windowsOptions")).get("hostProcess") is True:
            path = (*c.path, "windowsOptions", "hostProcess")
            yield Forbidden(path, f"{c.label} sets hostProcess=true")


def _handler_hosts(spec: Mapping[str, Any], path: FieldPath) -> Iterator[FieldPath]:
    for handler in _HANDLERS:
        if as_map(spec.get(handler)).get("host"):
            yield (*path, handler, "host")


def host_probes_and_lifecycle(ctx: PssContext) -> Iterator[Forbidden]:
    for container in ctx.workload.containers:
        label = f"container {container.name!r}"
        for probe in _PROBES:
            for path in _handler_hosts(as_map(container.spec.get(probe)), (*container.path, probe)):
                yield Forbidden(path, f"{label} sets a probe or lifecycle host")
        lifecycle = as_map(container.spec.get("lifecycle"))
        for hook in ("postStart", "preStop"):
            hook_path = (*container.path, "lifecycle", hook)
            for path in _handler_hosts(as_map(lifecycle.get(hook)), hook_path):
                yield Forbidden(path, f"{label} sets a probe or lifecycle host")


# -- restricted ------------------------------------------------------------------------


def restricted_volumes(ctx: PssContext) -> Iterator[Forbidden]:
    for index, volume in enumerate(as_list(ctx.spec.get("volumes"))):
        for source, value in as_map(volume).items():
            if source != "name" and value is not None and source not in RESTRICTED_VOLUME_SOURCES:
                path = ctx.workload.pod_field("volumes", index, source)
                yield Forbidden(path, f"restricted volume types: {source}")


def allow_privilege_escalation(ctx: PssContext) -> Iterator[Forbidden]:
    if ctx.windows:
        return
    for c in ctx.containers():
        if c.values.get("allowPrivilegeEscalation") is not False:
            path = (*c.path, "allowPrivilegeEscalation")
            yield Forbidden(path, f"{c.label} must set allowPrivilegeEscalation=false")


def capabilities_restricted(ctx: PssContext) -> Iterator[Forbidden]:
    if ctx.windows:
        return
    for c in ctx.containers():
        caps = as_map(c.values.get("capabilities"))
        if "ALL" not in as_list(caps.get("drop")):
            path = (*c.path, "capabilities", "drop")
            yield Forbidden(path, f"unrestricted capabilities: {c.label} must drop ALL")
        for index, name in enumerate(as_list(caps.get("add"))):
            if name != "NET_BIND_SERVICE":
                path = (*c.path, "capabilities", "add", index)
                yield Forbidden(path, f"unrestricted capabilities: {c.label} adds {name}")


def run_as_non_root(ctx: PssContext) -> Iterator[Forbidden]:
    pod = ctx.pod()
    pod_value = pod.values.get("runAsNonRoot")
    if pod_value is False:
        yield Forbidden((*pod.path, "runAsNonRoot"), "pod sets runAsNonRoot=false")
    for c in ctx.containers():
        own = c.values.get("runAsNonRoot")
        if own is False or (own is None and pod_value is not True):
            yield Forbidden((*c.path, "runAsNonRoot"), f"{c.label} must set runAsNonRoot=true")


def run_as_user(ctx: PssContext) -> Iterator[Forbidden]:
    for c in ctx.contexts():
        if c.values.get("runAsUser") == 0:
            yield Forbidden((*c.path, "runAsUser"), f"{c.label} sets runAsUser=0")


def seccomp_profile_restricted(ctx: PssContext) -> Iterator[Forbidden]:
    if ctx.windows:
        return
    pod = ctx.pod()
    pod_type = as_map(pod.values.get("seccompProfile")).get("type")
    if pod_type is not None and not _allowed(pod_type, _SAFE_PROFILE_TYPES):
        yield Forbidden((*pod.path, "seccompProfile", "type"), f"pod seccompProfile {pod_type}")
    for c in ctx.containers():
        own = as_map(c.values.get("seccompProfile")).get("type")
        effective = own if own is not None else pod_type
        if not _allowed(effective, _SAFE_PROFILE_TYPES):
            path = (*c.path, "seccompProfile", "type")
            yield Forbidden(
                path, f"{c.label} must set seccompProfile to RuntimeDefault or Localhost"
            )
