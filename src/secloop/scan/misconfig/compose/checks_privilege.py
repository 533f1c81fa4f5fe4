"""Compose checks of what a service may do to its host: privilege, capabilities, namespaces, LSMs.

These mirror the Kubernetes security-context checks (same capability sets, same
reasoning) for ``docker compose``, where each one is a single service field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.misconfig.compose.base import (
    ComposeCheck,
    ComposeHit,
    compose_rule,
    security_opts,
)
from secloop.scan.misconfig.compose.model import Service
from secloop.scan.misconfig.kubernetes.checks_security_context import DANGEROUS_CAPABILITIES

__all__ = ["PRIVILEGE_CHECKS"]

_RUN_DOC = "https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities"
_SECURITY_DOC = "https://docs.docker.com/engine/security/"
_SECCOMP_DOC = "https://docs.docker.com/engine/security/seccomp/"
_APPARMOR_DOC = "https://docs.docker.com/engine/security/apparmor/"
_ESCAPE = {"mitre-attack-containers": ("T1611",)}
_ROOT_USERS = frozenset({"root", "0"})


def _cap(value: object) -> str:
    return str(value).strip().upper().removeprefix("CAP_")


class Privileged(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-001",
        title="Service runs privileged",
        severity=Severity.HIGH,
        description=(
            "`privileged: true` gives the container every capability and the host's devices, "
            "and disables seccomp and AppArmor: escaping to the host is trivial."
        ),
        remediation="Remove `privileged: true`; add only the capabilities the service needs.",
        references=(_RUN_DOC,),
        frameworks={"cis-docker": ("5.4",), **_ESCAPE},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        if service.spec.get("privileged") is True:
            yield ComposeHit(
                path=service.field("privileged"),
                message=f"service {service.name!r} is privileged",
                evidence="privileged: true",
            )


class DangerousCapability(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-002",
        title="Dangerous capability added",
        severity=Severity.HIGH,
        description=(
            "Capabilities such as NET_ADMIN, SYS_PTRACE, SYS_MODULE or BPF give the container "
            "power over the host's kernel, network or processes. SYS_ADMIN and ALL are nearly "
            "privileged and are reported as CRITICAL."
        ),
        remediation="Remove the capability from `cap_add`, or grant a narrower one.",
        references=(_RUN_DOC,),
        frameworks={"cis-docker": ("5.3",), **_ESCAPE},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        added = service.spec.get("cap_add")
        for index, value in enumerate(added if isinstance(added, list) else ()):
            name = _cap(value)
            if name in DANGEROUS_CAPABILITIES:
                yield ComposeHit(
                    path=service.field("cap_add", index),
                    message=f"service {service.name!r} adds capability {name}",
                    evidence=name,
                    severity=Severity.CRITICAL if name in {"SYS_ADMIN", "ALL"} else None,
                )


class CapabilitiesNotDropped(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-003",
        title="Capabilities not dropped (cap_drop: ALL)",
        severity=Severity.LOW,
        description=(
            "Docker's default capability set includes NET_RAW, CHOWN, SETUID and others few "
            "services need; dropping ALL and adding back what is needed shrinks what a "
            "compromised process can do."
        ),
        remediation="Set `cap_drop: [ALL]` and list needed capabilities under `cap_add`.",
        references=(_RUN_DOC,),
        frameworks={"cis-docker": ("5.3",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        dropped = service.spec.get("cap_drop")
        names = {_cap(v) for v in dropped} if isinstance(dropped, list) else set()
        if "ALL" not in names and service.spec.get("privileged") is not True:
            yield ComposeHit(
                path=service.field("cap_drop"),
                message=f"service {service.name!r} does not drop ALL capabilities",
            )


class _HostNamespace(ComposeCheck):
    key: ClassVar[str]
    what: ClassVar[str]

    def check(self, service: Service) -> Iterator[ComposeHit]:
        if str(service.spec.get(self.key, "")).strip() == "host":
            yield ComposeHit(
                path=service.field(self.key),
                message=f"service {service.name!r} shares the host's {self.what}",
                evidence=f"{self.key}: host",
            )


class HostNetwork(_HostNamespace):
    key = "network_mode"
    what = "network namespace"
    rule = compose_rule(
        id="SL-COMPOSE-004",
        title="Service uses the host network",
        severity=Severity.HIGH,
        description=(
            "With `network_mode: host` the container binds host ports directly, sees every "
            "host interface and reaches services bound to localhost."
        ),
        remediation="Remove `network_mode: host`; publish the ports the service needs.",
        references=("https://docs.docker.com/engine/network/drivers/host/",),
        frameworks={"cis-docker": ("5.9",), **_ESCAPE},
    )


class HostPid(_HostNamespace):
    key = "pid"
    what = "process ID namespace"
    rule = compose_rule(
        id="SL-COMPOSE-005",
        title="Service shares the host PID namespace",
        severity=Severity.HIGH,
        description="With `pid: host` the container sees, signals and can ptrace host processes.",
        remediation="Remove `pid: host`.",
        references=(_SECURITY_DOC,),
        frameworks={"cis-docker": ("5.15",), **_ESCAPE},
    )


class HostIpc(_HostNamespace):
    key = "ipc"
    what = "IPC namespace"
    rule = compose_rule(
        id="SL-COMPOSE-006",
        title="Service shares the host IPC namespace",
        severity=Severity.HIGH,
        description="With `ipc: host` the container reads and writes host shared memory.",
        remediation="Remove `ipc: host` (use `shareable` between services if needed).",
        references=(_SECURITY_DOC,),
        frameworks={"cis-docker": ("5.16",), **_ESCAPE},
    )


class _UnconfinedOpt(ComposeCheck):
    prefix: ClassVar[str]

    def check(self, service: Service) -> Iterator[ComposeHit]:
        for index, option in security_opts(service):
            if option == f"{self.prefix}=unconfined":
                yield ComposeHit(
                    path=service.field("security_opt", index),
                    message=f"service {service.name!r} runs {self.prefix}-unconfined",
                    evidence=option,
                )


class SeccompUnconfined(_UnconfinedOpt):
    prefix = "seccomp"
    rule = compose_rule(
        id="SL-COMPOSE-007",
        title="Seccomp disabled (seccomp:unconfined)",
        severity=Severity.MEDIUM,
        description=(
            "Docker's default seccomp profile blocks some 40 rarely needed system calls that "
            "most kernel exploits use; `unconfined` removes that filter."
        ),
        remediation="Remove `seccomp:unconfined`, or supply a custom profile file.",
        references=(_SECCOMP_DOC,),
        frameworks={"cis-docker": ("5.21",), **_ESCAPE},
    )


class AppArmorUnconfined(_UnconfinedOpt):
    prefix = "apparmor"
    rule = compose_rule(
        id="SL-COMPOSE-008",
        title="AppArmor disabled (apparmor:unconfined)",
        severity=Severity.MEDIUM,
        description="`apparmor:unconfined` removes the mandatory access control Docker applies.",
        remediation="Remove `apparmor:unconfined`, or name a custom profile.",
        references=(_APPARMOR_DOC,),
        frameworks={"cis-docker": ("5.1",), **_ESCAPE},
    )


class NoNewPrivileges(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-009",
        title="no-new-privileges not set",
        severity=Severity.LOW,
        description=(
            "Without `no-new-privileges`, setuid binaries and file capabilities inside the "
            "image can raise a process's privileges."
        ),
        remediation='Add `security_opt: ["no-new-privileges:true"]`.',
        references=(_SECURITY_DOC,),
        frameworks={"cis-docker": ("5.25",), "mitre-attack-containers": ("T1068",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        options = {option for _, option in security_opts(service)}
        if not options & {"no-new-privileges=true", "no-new-privileges"}:
            yield ComposeHit(
                path=service.field("security_opt"),
                message=f"service {service.name!r} does not set no-new-privileges",
            )


class RootUser(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-010",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="Service runs as root",
        severity=Severity.MEDIUM,
        description=(
            "`user: root` (or UID 0) runs the process as root whatever the image says; root "
            "in a container is one kernel bug away from root on the host."
        ),
        remediation='Set `user` to a non-root UID:GID, e.g. `user: "10001:10001"`.',
        references=(_SECURITY_DOC,),
        frameworks={"cis-docker": ("4.1",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        user = str(service.spec.get("user", "")).strip()
        if user and user.split(":", 1)[0] in _ROOT_USERS:
            yield ComposeHit(
                path=service.field("user"),
                message=f"service {service.name!r} runs as root",
                evidence=f"user: {user}",
            )


class NoUser(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-011",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="Service sets no user",
        severity=Severity.LOW,
        description=(
            "Without `user`, the service runs as the image's user, which is root for most "
            "public images; stating it makes the choice visible and reviewable."
        ),
        remediation="Set `user` to a non-root UID:GID (or make sure the image sets USER).",
        references=(_SECURITY_DOC,),
        frameworks={"cis-docker": ("4.1",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        if "user" not in service.spec:
            yield ComposeHit(
                path=service.field("user"), message=f"service {service.name!r} sets no user"
            )


class WritableRootFilesystem(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-012",
        title="Root filesystem is writable (read_only not set)",
        severity=Severity.LOW,
        description=(
            "A writable root filesystem lets an intruder drop tools and persist changes; "
            "`read_only: true` forces writes onto declared volumes and tmpfs."
        ),
        remediation="Set `read_only: true`; add `tmpfs` entries for scratch directories.",
        references=(_SECURITY_DOC,),
        frameworks={"cis-docker": ("5.12",), "mitre-attack-containers": ("T1525",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        if service.spec.get("read_only") is not True:
            yield ComposeHit(
                path=service.field("read_only"),
                message=f"service {service.name!r} has a writable root filesystem",
            )


PRIVILEGE_CHECKS: tuple[ComposeCheck, ...] = (
    Privileged(),
    DangerousCapability(),
    CapabilitiesNotDropped(),
    HostNetwork(),
    HostPid(),
    HostIpc(),
    SeccompUnconfined(),
    AppArmorUnconfined(),
    NoNewPrivileges(),
    RootUser(),
    NoUser(),
    WritableRootFilesystem(),
)
