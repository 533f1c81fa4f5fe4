"""Checks of what a pod shares with its node: namespaces, ports, paths, kernel parameters."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator

from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import ContainerCheck, Hit, WorkloadCheck, k8s_rule
from secloop.scan.misconfig.kubernetes.model import Container, Workload, as_list, as_map
from secloop.scan.misconfig.kubernetes.pss import LATEST_MINOR
from secloop.scan.misconfig.kubernetes.pss_controls import (
    RESTRICTED_VOLUME_SOURCES,
    SAFE_SYSCTLS_LATEST,
    PssContext,
    host_probes_and_lifecycle,
)

__all__ = ["HOST_CHECKS", "host_path_severity"]

_PSS_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
_VOLUMES_DOC = "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"
_SYSCTL_DOC = "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/"
_ESCAPE = {"mitre-attack-containers": ("T1611",)}

#: Container runtime sockets and their directories: whoever reaches them owns the node.
RUNTIME_SOCKETS = frozenset(
    {
        "/var/run/docker.sock", "/run/docker.sock", "/var/run/docker", "/run/docker",
        "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
        "/var/run/containerd", "/run/containerd", "/var/run/crio/crio.sock",
        "/run/crio/crio.sock", "/var/run/crio", "/run/crio", "/var/run/cri-dockerd.sock",
        "/run/cri-dockerd.sock", "/var/run", "/run", "/var/lib/docker",
    }
)  # fmt: skip
#: Host paths whose exposure (even read-only) leaks credentials or allows takeover.
SENSITIVE_HOST_PATHS = (
    "/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/home", "/var/lib/kubelet",
    "/var/lib/etcd", "/etc/kubernetes", "/var/log", "/usr", "/lib", "/bin", "/sbin",
)  # fmt: skip
#: Sysctls the PSS baseline allows (namespaced and isolated) at the latest policy version.
SAFE_SYSCTLS = SAFE_SYSCTLS_LATEST


def _normal(path: str) -> str:
    cleaned = posixpath.normpath(path) if path else path
    return "/" if cleaned in {"//", ""} and path.startswith("/") else cleaned


def host_path_severity(path: str) -> Severity:
    """CRITICAL for runtime sockets, HIGH for system and kubelet paths, else MEDIUM."""
    normal = _normal(path)
    if normal in RUNTIME_SOCKETS:
        return Severity.CRITICAL
    for sensitive in SENSITIVE_HOST_PATHS:
        if normal == sensitive or (sensitive != "/" and normal.startswith(sensitive + "/")):
            return Severity.HIGH
    return Severity.MEDIUM


def _host_paths(workload: Workload) -> Iterator[tuple[int, str]]:
    for index, volume in enumerate(as_list(workload.spec.get("volumes"))):
        host_path = as_map(as_map(volume).get("hostPath"))
        if "path" in host_path:
            yield index, str(host_path["path"])


class _HostNamespace(WorkloadCheck):
    field: str
    what: str

    def check(self, workload: Workload) -> Iterator[Hit]:
        if workload.spec.get(self.field) is True:
            yield Hit(
                path=workload.pod_field(self.field),
                message=f"pod shares the host's {self.what}",
                evidence=f"{self.field}: true",
            )


class HostPID(_HostNamespace):
    field = "hostPID"
    what = "process ID namespace"
    rule = k8s_rule(
        id="SL-K8S-019",
        title="Pod shares the host PID namespace",
        severity=Severity.HIGH,
        description="With hostPID a container sees and can signal or ptrace every node process.",
        remediation="Remove `hostPID: true`.",
        references=(_PSS_DOC,),
        peers={
            "checkov": "CKV_K8S_17",
            "kubescape": "C-0038",
            "trivy": "KSV010",
            "pss": "baseline:hostNamespaces",
        },
        frameworks={"cis-kubernetes": ("5.2.3",), "nsa-cisa": ("pod-security",), **_ESCAPE},
    )


class HostIPC(_HostNamespace):
    field = "hostIPC"
    what = "IPC namespace"
    rule = k8s_rule(
        id="SL-K8S-020",
        title="Pod shares the host IPC namespace",
        severity=Severity.HIGH,
        description="With hostIPC a container reads and writes the node's shared memory segments.",
        remediation="Remove `hostIPC: true`.",
        references=(_PSS_DOC,),
        peers={
            "checkov": "CKV_K8S_18",
            "kubescape": "C-0038",
            "trivy": "KSV008",
            "pss": "baseline:hostNamespaces",
        },
        frameworks={"cis-kubernetes": ("5.2.4",), "nsa-cisa": ("pod-security",), **_ESCAPE},
    )


class HostNetwork(_HostNamespace):
    field = "hostNetwork"
    what = "network namespace"
    rule = k8s_rule(
        id="SL-K8S-021",
        title="Pod shares the host network namespace",
        severity=Severity.HIGH,
        description=(
            "With hostNetwork a container binds node ports, sniffs node traffic and bypasses "
            "NetworkPolicies."
        ),
        remediation="Remove `hostNetwork: true`; expose the workload through a Service.",
        references=(_PSS_DOC,),
        peers={
            "checkov": "CKV_K8S_19",
            "kubescape": "C-0041",
            "trivy": "KSV009",
            "pss": "baseline:hostNamespaces",
        },
        frameworks={"cis-kubernetes": ("5.2.5",), "nsa-cisa": ("network-separation",), **_ESCAPE},
    )


class HostPort(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-022",
        title="Container uses a hostPort",
        severity=Severity.MEDIUM,
        description=(
            "A hostPort opens a port on the node itself, bypassing Services and most network "
            "policy, and pins the pod to nodes where the port is free."
        ),
        remediation="Remove `hostPort`; use a Service (ClusterIP, or NodePort when needed).",
        references=(_PSS_DOC,),
        peers={
            "checkov": "CKV_K8S_26",
            "kubescape": "C-0044",
            "trivy": "KSV024",
            "pss": "baseline:hostPorts",
        },
        frameworks={"cis-kubernetes": ("5.2.13",), "mitre-attack-containers": ("T1133",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, port in enumerate(as_list(container.spec.get("ports"))):
            value = as_map(port).get("hostPort")
            if value not in (None, 0, "0"):
                yield Hit(
                    path=(*container.path, "ports", index, "hostPort"),
                    message=f"container {container.name!r} binds host port {value}",
                    evidence=f"hostPort: {value}",
                )


class HostPathVolume(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-023",
        title="hostPath volume",
        severity=Severity.MEDIUM,
        description=(
            "A hostPath volume exposes the node's filesystem to the container. Severity rises "
            "to HIGH for system and kubelet paths (/, /etc, /proc, /sys, /var/lib/kubelet, ...) "
            "and to CRITICAL for container runtime sockets."
        ),
        remediation="Use emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim instead.",
        references=(_VOLUMES_DOC, _PSS_DOC),
        peers={"kubescape": "C-0048", "trivy": "KSV023", "pss": "baseline:hostPathVolumes"},
        frameworks={"cis-kubernetes": ("5.2.12",), **_ESCAPE},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for index, path in _host_paths(workload):
            yield Hit(
                path=workload.pod_field("volumes", index, "hostPath", "path"),
                message=f"pod mounts host path {path}",
                evidence=f"path: {path}",
                severity=host_path_severity(path),
            )


class RuntimeSocket(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-024",
        title="Container runtime socket mounted",
        severity=Severity.CRITICAL,
        description=(
            "The Docker, containerd or CRI-O socket lets the container start privileged "
            "containers on the node: full node takeover."
        ),
        remediation="Do not mount runtime sockets; use a dedicated, audited build service.",
        references=(_VOLUMES_DOC,),
        peers={"checkov": "CKV_K8S_27", "kubescape": "C-0074", "trivy": "KSV006"},
        frameworks={"mitre-attack-containers": ("T1611", "T1610")},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for index, path in _host_paths(workload):
            if _normal(path) in RUNTIME_SOCKETS:
                yield Hit(
                    path=workload.pod_field("volumes", index, "hostPath", "path"),
                    message=f"pod mounts the container runtime socket {path}",
                    evidence=f"path: {path}",
                )


class UnsafeSysctls(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-025",
        title="Unsafe sysctl set",
        severity=Severity.MEDIUM,
        description=(
            "Sysctls outside the safe, namespaced set change kernel behaviour for every pod on "
            "the node or disable security mechanisms."
        ),
        remediation="Remove the sysctl, or restrict such pods to dedicated nodes.",
        references=(_SYSCTL_DOC, _PSS_DOC),
        peers={"trivy": "KSV026", "pss": "baseline:sysctls"},
        frameworks=_ESCAPE,
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        sysctls = as_list(workload.security_context.get("sysctls"))
        for index, item in enumerate(sysctls):
            name = str(as_map(item).get("name", ""))
            if name not in SAFE_SYSCTLS:
                yield Hit(
                    path=workload.pod_field("securityContext", "sysctls", index, "name"),
                    message=f"pod sets unsafe sysctl {name}",
                    evidence=name,
                )


class RestrictedVolumeType(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-062",
        title="Volume type outside the restricted set",
        severity=Severity.LOW,
        description=(
            "The restricted profile allows only configMap, csi, downwardAPI, emptyDir, "
            "ephemeral, persistentVolumeClaim, projected and secret volumes; other in-tree "
            "sources (nfs, iscsi, rbd, cephfs, ...) are mounted by the node with its own "
            "credentials. `gitRepo` runs git on the node as root and allowed code execution "
            "(CVE-2024-10220): HIGH. hostPath is reported by SL-K8S-023."
        ),
        remediation="Use a PersistentVolumeClaim or CSI volume; clone repos in an init container.",
        references=(_PSS_DOC, "https://github.com/kubernetes/kubernetes/issues/128885"),
        peers={"pss": "restricted:restrictedVolumes"},
        frameworks=_ESCAPE,
    )  # fmt: skip

    def check(self, workload: Workload) -> Iterator[Hit]:
        for index, volume in enumerate(as_list(workload.spec.get("volumes"))):
            for source, value in as_map(volume).items():
                if source in {"name", "hostPath"} or value is None:
                    continue
                if source not in RESTRICTED_VOLUME_SOURCES:
                    yield Hit(
                        path=workload.pod_field("volumes", index, source),
                        message=f"pod uses a {source} volume",
                        evidence=str(source),
                        severity=Severity.HIGH if source == "gitRepo" else None,
                    )


class ProbeOrLifecycleHost(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-063",
        title="Probe or lifecycle hook targets another host",
        severity=Severity.MEDIUM,
        description=(
            "`host` in an httpGet or tcpSocket probe or lifecycle hook makes the kubelet "
            "connect to any address from the node's network: a server-side request forgery "
            "primitive against node-local and cloud metadata services."
        ),
        remediation="Remove `host`; probes then target the pod's own IP.",
        references=(_PSS_DOC,),
        peers={"pss": "baseline:hostProbesAndHostLifecycle"},
        frameworks={"mitre-attack-containers": ("T1552",)},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for bad in host_probes_and_lifecycle(PssContext(workload, LATEST_MINOR)):
            yield Hit(path=bad.path, message=bad.detail)


HOST_CHECKS = (
    HostPID(),
    HostIPC(),
    HostNetwork(),
    HostPort(),
    HostPathVolume(),
    RuntimeSocket(),
    UnsafeSysctls(),
    RestrictedVolumeType(),
    ProbeOrLifecycleHost(),
)
