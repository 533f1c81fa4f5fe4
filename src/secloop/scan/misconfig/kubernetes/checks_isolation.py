"""Checks of kernel isolation: seccomp, AppArmor, SELinux, /proc masking, Windows HostProcess.

Each of these confines what a process can ask of the shared kernel; turning one off
removes a layer that container escapes usually have to get through.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from secloop.core.severity import Severity
from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.kubernetes.base import ContainerCheck, Hit, WorkloadCheck, k8s_rule
from secloop.scan.misconfig.kubernetes.model import Container, Workload, as_map

__all__ = ["ISOLATION_CHECKS"]

_PSS_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
_SECCOMP_DOC = "https://kubernetes.io/docs/tutorials/security/seccomp/"
_APPARMOR_DOC = "https://kubernetes.io/docs/tutorials/security/apparmor/"
_ESCAPE = {"mitre-attack-containers": ("T1611",)}

_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
#: A tuple, not a set: the tested value comes from the manifest and may be a dict.
_SAFE_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
_SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)


def _seccomp_annotation_ok(value: object) -> bool:
    text = str(value)
    return text in {"runtime/default", "docker/default"} or text.startswith("localhost/")


def _contexts(workload: Workload) -> Iterator[tuple[Mapping[str, Any], FieldPath, str]]:
    """The pod's security context, then each container's, with paths and a label."""
    yield workload.security_context, workload.pod_field("securityContext"), "pod"
    for container in workload.containers:
        label = f"container {container.name!r}"
        yield container.security_context, (*container.path, "securityContext"), label


class SeccompUnconfined(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-013",
        title="Seccomp profile set to Unconfined",
        severity=Severity.MEDIUM,
        description=(
            "An Unconfined seccomp profile lets the container call every system call, "
            "including the rarely used ones most kernel exploits go through."
        ),
        remediation="Use `seccompProfile: {type: RuntimeDefault}` or a Localhost profile.",
        references=(_SECCOMP_DOC, _PSS_DOC),
        peers={"trivy": "KSV104", "pss": "baseline:seccompProfile_baseline"},
        frameworks={"cis-kubernetes": ("5.7.2",), **_ESCAPE},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for context, path, label in _contexts(workload):
            profile = as_map(context.get("seccompProfile"))
            if profile.get("type") == "Unconfined":
                yield Hit(
                    path=(*path, "seccompProfile", "type"),
                    message=f"{label} disables seccomp",
                    evidence="type: Unconfined",
                )
        for key, value in workload.annotations.items():
            is_seccomp = key == _SECCOMP_POD_ANNOTATION or str(key).startswith(
                _SECCOMP_CONTAINER_ANNOTATION
            )
            if is_seccomp and str(value) == "unconfined":
                yield Hit(
                    path=(*workload.metadata_path, "annotations", key),
                    message=f"annotation {key} disables seccomp",
                    evidence=f"{key}: unconfined",
                )


class SeccompNotSet(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-014",
        title="Seccomp profile not set to RuntimeDefault or Localhost",
        severity=Severity.LOW,
        description=(
            "Kubernetes runs containers Unconfined unless a seccomp profile is requested; the "
            "restricted profile requires RuntimeDefault or a Localhost profile."
        ),
        remediation="Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.",
        references=(_SECCOMP_DOC, _PSS_DOC),
        peers={
            "checkov": "CKV_K8S_31",
            "kubescape": "C-0055",
            "trivy": "KSV030",
            "pss": "restricted:seccompProfile_restricted",
        },
        frameworks={"cis-kubernetes": ("5.7.2",), "nsa-cisa": ("seccomp",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        own = as_map(container.security_context.get("seccompProfile")).get("type")
        if own is not None:
            ok = own in _SAFE_SECCOMP_TYPES
        else:
            pod = as_map(workload.security_context.get("seccompProfile")).get("type")
            ok = pod in _SAFE_SECCOMP_TYPES or self._annotated(workload, container)
        if not ok:
            yield Hit(
                path=(*container.path, "securityContext", "seccompProfile", "type"),
                message=f"container {container.name!r} has no RuntimeDefault/Localhost seccomp",
                evidence=None if own is None else f"type: {own}",
            )

    @staticmethod
    def _annotated(workload: Workload, container: Container) -> bool:
        annotations = workload.annotations
        own = annotations.get(f"{_SECCOMP_CONTAINER_ANNOTATION}{container.name}")
        if own is not None:
            return _seccomp_annotation_ok(own)
        pod = annotations.get(_SECCOMP_POD_ANNOTATION)
        return pod is not None and _seccomp_annotation_ok(pod)


class AppArmorUnconfined(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-015",
        title="AppArmor profile overridden or disabled",
        severity=Severity.MEDIUM,
        description=(
            "The runtime applies its default AppArmor profile; setting `unconfined` (or an "
            "unknown profile type) removes that mandatory access control."
        ),
        remediation="Remove the override or use `RuntimeDefault` / a `Localhost` profile.",
        references=(_APPARMOR_DOC, _PSS_DOC),
        peers={"trivy": "KSV002", "pss": "baseline:appArmorProfile"},
        frameworks={"nsa-cisa": ("apparmor",), **_ESCAPE},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for context, path, label in _contexts(workload):
            kind = as_map(context.get("appArmorProfile")).get("type")
            if kind is not None and kind not in _SAFE_SECCOMP_TYPES:
                yield Hit(
                    path=(*path, "appArmorProfile", "type"),
                    message=f"{label} sets AppArmor profile type {kind}",
                    evidence=f"type: {kind}",
                )
        for key, value in workload.annotations.items():
            if not str(key).startswith(_APPARMOR_ANNOTATION):
                continue
            text = str(value)
            if text not in {"runtime/default", ""} and not text.startswith("localhost/"):
                yield Hit(
                    path=(*workload.metadata_path, "annotations", key),
                    message=f"annotation {key} sets AppArmor profile {text}",
                    evidence=f"{key}: {text}",
                )


class SELinuxOptions(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-016",
        title="Custom SELinux user, role or type",
        severity=Severity.MEDIUM,
        description=(
            "A custom SELinux type, user or role can place the container outside the "
            "confined `container_t` domain."
        ),
        remediation="Remove `seLinuxOptions.user`/`role`; use only the container_* types.",
        references=(_PSS_DOC,),
        peers={"trivy": "KSV025", "pss": "baseline:seLinuxOptions"},
        frameworks={"nsa-cisa": ("selinux",), **_ESCAPE},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for context, path, label in _contexts(workload):
            options = as_map(context.get("seLinuxOptions"))
            kind = options.get("type")
            if kind is not None and str(kind) not in _SELINUX_TYPES:
                yield Hit(
                    path=(*path, "seLinuxOptions", "type"),
                    message=f"{label} sets SELinux type {kind}",
                    evidence=f"type: {kind}",
                )
            for field in ("user", "role"):
                if options.get(field):
                    yield Hit(
                        path=(*path, "seLinuxOptions", field),
                        message=f"{label} sets SELinux {field} {options[field]}",
                        evidence=f"{field}: {options[field]}",
                    )


class ProcMountUnmasked(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-017",
        title="/proc mounted Unmasked",
        severity=Severity.MEDIUM,
        description=(
            "`procMount: Unmasked` exposes kernel interfaces under /proc that the runtime "
            "masks by default."
        ),
        remediation="Remove `procMount` or set it to `Default`.",
        references=(_PSS_DOC,),
        peers={"trivy": "KSV027", "pss": "baseline:procMount"},
        frameworks=_ESCAPE,
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        value = container.security_context.get("procMount")
        if value is not None and value != "Default":
            yield Hit(
                path=(*container.path, "securityContext", "procMount"),
                message=f"container {container.name!r} mounts /proc {value}",
                evidence=f"procMount: {value}",
            )


class WindowsHostProcess(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-018",
        title="Windows HostProcess container",
        severity=Severity.HIGH,
        description="A HostProcess container runs directly on the Windows node, with its rights.",
        remediation="Remove `windowsOptions.hostProcess: true`.",
        references=(_PSS_DOC,),
        peers={"kubescape": "C-0202", "trivy": "KSV103", "pss": "baseline:windowsHostProcess"},
        frameworks={"cis-kubernetes": ("5.2.11",), **_ESCAPE},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for context, path, label in _contexts(workload):
            if as_map(context.get("windowsOptions")).get("hostProcess") is True:
                yield Hit(
                    path=(*path, "windowsOptions", "hostProcess"),
                    message=f"{label} is a Windows HostProcess container",
                    evidence="hostProcess: true",
                )


ISOLATION_CHECKS = (
    SeccompUnconfined(),
    SeccompNotSet(),
    AppArmorUnconfined(),
    SELinuxOptions(),
    ProcMountUnmasked(),
    WindowsHostProcess(),
)
