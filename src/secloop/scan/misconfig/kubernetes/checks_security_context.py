"""Checks of container and pod security contexts: privilege, users, capabilities, LSMs.

Semantics follow the Pod Security Standards (kubernetes.io/docs/concepts/security/
pod-security-standards/) where a control exists there: a container-level field
overrides the pod-level one, and "restricted" controls require an explicit safe value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import (
    ContainerCheck,
    Hit,
    WorkloadCheck,
    capabilities_of,
    k8s_rule,
    resolve,
)
from secloop.scan.misconfig.kubernetes.model import Container, Workload, as_map
from secloop.scan.misconfig.kubernetes.pss_controls import (
    BASELINE_CAPABILITIES as PSS_BASELINE_CAPABILITIES,
)

__all__ = ["SECURITY_CONTEXT_CHECKS"]

_SC_DOC = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
_PSS_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
_ESCAPE = {"mitre-attack-containers": ("T1611",)}

#: Capabilities the PSS baseline level allows to be added (the container runtime default).
BASELINE_CAPABILITIES = PSS_BASELINE_CAPABILITIES
#: Capabilities that hand a container kernel-level power over the node.
DANGEROUS_CAPABILITIES = frozenset(
    {
        "ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT",
        "BPF", "PERFMON", "DAC_READ_SEARCH", "SYS_TIME", "MAC_ADMIN", "MAC_OVERRIDE",
    }
)  # fmt: skip


class Privileged(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-001",
        title="Container runs privileged",
        severity=Severity.HIGH,
        description=(
            "A privileged container has every capability and sees the host's devices; "
            "escaping to the node from it is trivial."
        ),
        remediation="Remove `securityContext.privileged: true` or set it to `false`.",
        references=(_SC_DOC, _PSS_DOC),
        peers={
            "checkov": "CKV_K8S_16",
            "kubescape": "C-0057",
            "trivy": "KSV017",
            "pss": "baseline:privileged",
        },
        frameworks={"cis-kubernetes": ("5.2.2",), "nsa-cisa": ("pod-security",), **_ESCAPE},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        if container.security_context.get("privileged") is True:
            yield Hit(
                path=(*container.path, "securityContext", "privileged"),
                message=f"container {container.name!r} is privileged",
                evidence="privileged: true",
            )


class PrivilegeEscalation(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-002",
        title="Privilege escalation is not disabled",
        severity=Severity.MEDIUM,
        description=(
            "Unless `allowPrivilegeEscalation` is explicitly false, a process can gain more "
            "privileges than its parent (setuid binaries, file capabilities)."
        ),
        remediation="Set `securityContext.allowPrivilegeEscalation: false` on every container.",
        references=(_SC_DOC, _PSS_DOC),
        peers={
            "checkov": "CKV_K8S_20",
            "kubescape": "C-0016",
            "trivy": "KSV001",
            "pss": "restricted:allowPrivilegeEscalation",
        },
        frameworks={"cis-kubernetes": ("5.2.6",), "mitre-attack-containers": ("T1068",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        value = container.security_context.get("allowPrivilegeEscalation")
        if value is not False:
            yield Hit(
                path=(*container.path, "securityContext", "allowPrivilegeEscalation"),
                message=f"container {container.name!r} allows privilege escalation",
                evidence=None if value is None else f"allowPrivilegeEscalation: {value}",
            )


class CapabilitiesBeyondBaseline(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-003",
        title="Capability added beyond the runtime default set",
        severity=Severity.MEDIUM,
        description=(
            "Adding a Linux capability the container runtime does not grant by default "
            "widens what a compromised process can do to the kernel and the node."
        ),
        remediation="Remove the capability from `securityContext.capabilities.add`.",
        references=(_PSS_DOC,),
        peers={"trivy": "KSV022", "pss": "baseline:capabilities_baseline"},
        frameworks={"cis-kubernetes": ("5.2.9",), **_ESCAPE},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, name in capabilities_of(container).added:
            if name not in BASELINE_CAPABILITIES:
                yield Hit(
                    path=(*container.path, "securityContext", "capabilities", "add", index),
                    message=f"container {container.name!r} adds capability {name}",
                    evidence=name,
                )


class CapabilitiesAdded(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-004",
        title="Capability added other than NET_BIND_SERVICE",
        severity=Severity.LOW,
        description=(
            "The restricted profile allows adding back only NET_BIND_SERVICE; every other "
            "added capability should be justified."
        ),
        remediation="Drop the capability from `capabilities.add`, or document an exception.",
        references=(_PSS_DOC,),
        peers={"checkov": "CKV_K8S_25", "pss": "restricted:capabilities_restricted"},
        frameworks={"cis-kubernetes": ("5.2.9",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, name in capabilities_of(container).added:
            if name != "NET_BIND_SERVICE":
                yield Hit(
                    path=(*container.path, "securityContext", "capabilities", "add", index),
                    message=f"container {container.name!r} adds capability {name}",
                    evidence=name,
                )


class SysAdminCapability(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-005",
        title="CAP_SYS_ADMIN added",
        severity=Severity.CRITICAL,
        description=(
            "SYS_ADMIN (or ALL) allows mounting filesystems, manipulating namespaces and many "
            "known container escapes; it is nearly equivalent to privileged."
        ),
        remediation="Remove SYS_ADMIN and ALL from `capabilities.add`.",
        references=("https://man7.org/linux/man-pages/man7/capabilities.7.html",),
        peers={"checkov": "CKV_K8S_39", "trivy": "KSV005"},
        frameworks=_ESCAPE,
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, name in capabilities_of(container).added:
            if name in {"SYS_ADMIN", "ALL"}:
                yield Hit(
                    path=(*container.path, "securityContext", "capabilities", "add", index),
                    message=f"container {container.name!r} adds {name}",
                    evidence=name,
                )


class DangerousCapabilities(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-006",
        title="Insecure capability added",
        severity=Severity.HIGH,
        description=(
            "Capabilities such as NET_ADMIN, SYS_MODULE, SYS_PTRACE, BPF or DAC_READ_SEARCH "
            "give a container power over the node's kernel, network or other processes."
        ),
        remediation="Remove the capability; grant a narrower one if the workload needs it.",
        references=("https://man7.org/linux/man-pages/man7/capabilities.7.html",),
        peers={"kubescape": "C-0046"},
        frameworks={"nsa-cisa": ("pod-security",), **_ESCAPE},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, name in capabilities_of(container).added:
            if name in DANGEROUS_CAPABILITIES:
                yield Hit(
                    path=(*container.path, "securityContext", "capabilities", "add", index),
                    message=f"container {container.name!r} adds insecure capability {name}",
                    evidence=name,
                )


class NetRawNotDropped(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-007",
        title="NET_RAW capability not dropped",
        severity=Severity.LOW,
        description=(
            "NET_RAW is in the default capability set; it allows crafting packets for "
            "ARP or DNS spoofing inside the cluster network."
        ),
        remediation="Add `NET_RAW` (or `ALL`) to `securityContext.capabilities.drop`.",
        references=(_SC_DOC,),
        peers={"checkov": "CKV_K8S_28", "kubescape": "C-0199"},
        frameworks={"cis-kubernetes": ("5.2.8",), "mitre-attack-containers": ("T1557",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        caps = capabilities_of(container)
        if not caps.dropped & {"NET_RAW", "ALL"}:
            yield Hit(
                path=(*container.path, "securityContext", "capabilities", "drop"),
                message=f"container {container.name!r} keeps NET_RAW",
            )


class DropAllCapabilities(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-008",
        title="Capabilities not dropped (ALL)",
        severity=Severity.LOW,
        description=(
            "The restricted profile requires dropping ALL capabilities and adding back "
            "only what the process needs."
        ),
        remediation="Set `securityContext.capabilities.drop: [ALL]`.",
        references=(_PSS_DOC,),
        peers={"trivy": "KSV003", "pss": "restricted:capabilities_restricted"},
        frameworks={"cis-kubernetes": ("5.2.10",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        if "ALL" not in capabilities_of(container).dropped:
            yield Hit(
                path=(*container.path, "securityContext", "capabilities", "drop"),
                message=f"container {container.name!r} does not drop ALL capabilities",
            )


class RunAsNonRoot(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-009",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="Container may run as root",
        severity=Severity.MEDIUM,
        description=(
            "Without `runAsNonRoot: true` the kubelet lets the image's user, often root, run "
            "the process; root in a container is one kernel bug away from root on the node. "
            "When `runAsNonRoot` is not set, an effective non-zero `runAsUser` keeps the "
            "process off root and passes (PSS restricted still wants `runAsNonRoot: true`: "
            "see the `pss` scanner); an explicit `runAsNonRoot: false` always fires."
        ),
        remediation="Set `securityContext.runAsNonRoot: true` (pod or container level).",
        references=(_SC_DOC, _PSS_DOC),
        peers={
            "checkov": "CKV_K8S_23",
            "kubescape": "C-0013",
            "trivy": "KSV012",
            "pss": "restricted:runAsNonRoot",
        },
        frameworks={"cis-kubernetes": ("5.2.7",), "nsa-cisa": ("non-root-containers",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        found = resolve(workload, container, "runAsNonRoot")
        user = resolve(workload, container, "runAsUser").value
        runs_as_user = isinstance(user, int) and not isinstance(user, bool) and user > 0
        # An explicit ``runAsNonRoot: false`` is an opt-out and fires whatever the UID.
        if found.value is not True and not (runs_as_user and not found.present):
            yield Hit(
                path=found.path,
                message=f"container {container.name!r} does not set runAsNonRoot: true",
                evidence=None if not found.present else f"runAsNonRoot: {found.value}",
            )


class RunAsRootUser(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-010",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="runAsUser is 0 (root)",
        severity=Severity.MEDIUM,
        description="An explicit `runAsUser: 0` runs the process as root whatever the image says.",
        remediation="Set `runAsUser` to a non-zero UID, ideally 10000 or more.",
        references=(_PSS_DOC,),
        peers={"trivy": "KSV105", "pss": "restricted:runAsUser"},
        frameworks={"cis-kubernetes": ("5.2.7",)},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        if workload.security_context.get("runAsUser") == 0:
            yield Hit(
                path=workload.pod_field("securityContext", "runAsUser"),
                message="pod runs as UID 0",
                evidence="runAsUser: 0",
            )
        for container in workload.containers:
            if container.security_context.get("runAsUser") == 0:
                yield Hit(
                    path=(*container.path, "securityContext", "runAsUser"),
                    message=f"container {container.name!r} runs as UID 0",
                    evidence="runAsUser: 0",
                )


class LowUserId(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-011",
        title="Container UID below 10000",
        severity=Severity.LOW,
        description=(
            "UIDs below 10000 may collide with host users; a container escape then lands "
            "as a real account on the node."
        ),
        remediation="Set `securityContext.runAsUser` to 10000 or more.",
        references=(_SC_DOC,),
        peers={"checkov": "CKV_K8S_40", "trivy": "KSV020"},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        if workload.spec.get("hostUsers") is False:
            return  # a user namespace maps container UIDs away from the host's
        found = resolve(workload, container, "runAsUser")
        value = found.value
        if not isinstance(value, int) or isinstance(value, bool) or value < 10000:
            yield Hit(
                path=found.path,
                message=f"container {container.name!r} does not run with a UID >= 10000",
                evidence=None if not found.present else f"runAsUser: {value}",
            )


class ReadOnlyRootFilesystem(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-012",
        title="Root filesystem is writable",
        severity=Severity.LOW,
        description=(
            "A writable root filesystem lets an intruder drop tools and persist changes in "
            "the container; an immutable one forces writes onto declared volumes."
        ),
        remediation="Set `readOnlyRootFilesystem: true`; mount an emptyDir for scratch space.",
        references=(_SC_DOC,),
        peers={"checkov": "CKV_K8S_22", "kubescape": "C-0017", "trivy": "KSV014"},
        frameworks={"nsa-cisa": ("immutable-filesystem",), "mitre-attack-containers": ("T1525",)},
    )
    applies_to_functions: ClassVar[bool] = True

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        if workload.synthetic:
            spec = as_map(workload.resource.obj.get("spec"))
            if spec.get("readOnlyRootFilesystem") is not True:
                yield Hit(
                    path=(*container.path, "readOnlyRootFilesystem"),
                    message="function does not set readOnlyRootFilesystem: true",
                )
            return
        if container.security_context.get("readOnlyRootFilesystem") is not True:
            yield Hit(
                path=(*container.path, "securityContext", "readOnlyRootFilesystem"),
                message=f"container {container.name!r} has a writable root filesystem",
            )


SECURITY_CONTEXT_CHECKS = (
    Privileged(),
    PrivilegeEscalation(),
    CapabilitiesBeyondBaseline(),
    CapabilitiesAdded(),
    SysAdminCapability(),
    DangerousCapabilities(),
    NetRawNotDropped(),
    DropAllCapabilities(),
    RunAsNonRoot(),
    RunAsRootUser(),
    LowUserId(),
    ReadOnlyRootFilesystem(),
)
