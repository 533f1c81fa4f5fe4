"""Checks of namespacing, exposure and stored configuration (Services, Ingresses, ConfigMaps)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import Hit, KubernetesCheck, ResourceCheck, k8s_rule
from secloop.scan.misconfig.kubernetes.checks_workload import looks_like_secret
from secloop.scan.misconfig.kubernetes.model import Resource, Workload, as_list, as_map

__all__ = ["CLUSTER_CHECKS", "CLUSTER_SCOPED_KINDS"]

_NS_DOC = "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"
_SERVICE_DOC = "https://kubernetes.io/docs/concepts/services-networking/service/"
_INGRESS_DOC = "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"

#: Kinds that have no namespace; "default namespace" does not apply to them.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole",
        "ClusterRoleBinding", "CustomResourceDefinition", "PodSecurityPolicy",
        "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "PriorityClass",
        "APIService", "CSIDriver", "CSINode", "IngressClass", "RuntimeClass", "VolumeAttachment",
        "ClusterIssuer", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest", "ComponentStatus",
    }
)  # fmt: skip
#: Objects Kubernetes itself keeps in ``default``: not a user's choice.
_BUILTIN_DEFAULTS = frozenset({("Service", "kubernetes"), ("ServiceAccount", "default")})


class DefaultNamespace(KubernetesCheck):
    rule = k8s_rule(
        id="SL-K8S-050",
        title="Resource in the default namespace",
        severity=Severity.LOW,
        description=(
            "Namespaces are the unit of RBAC, quotas and network policy; resources left in "
            "`default` (explicitly, or by omitting the namespace) share one boundary with "
            "everything else put there."
        ),
        remediation="Set `metadata.namespace` to a dedicated namespace.",
        references=(_NS_DOC,),
        peers={"checkov": "CKV_K8S_21", "kubescape": "C-0212", "trivy": "KSV110"},
        frameworks={"cis-kubernetes": ("5.7.4",)},
    )

    def evaluate(self, resource: Resource, workload: Workload | None) -> Iterable[Hit]:
        if resource.kind in CLUSTER_SCOPED_KINDS or (resource.kind, resource.name) in (
            _BUILTIN_DEFAULTS
        ):
            return ()
        if resource.namespace not in (None, "default"):
            return ()
        return (
            Hit(
                path=(*resource.prefix, "metadata", "namespace"),
                message=f"{resource.kind} {resource.name!r} is in the default namespace",
                evidence=None if resource.namespace is None else "namespace: default",
            ),
        )


class DefaultServiceAccountToken(ResourceCheck):
    kinds = frozenset({"ServiceAccount"})
    rule = k8s_rule(
        id="SL-K8S-051",
        title="Default service account automounts its token",
        severity=Severity.LOW,
        description=(
            "Pods that name no service account run as `default`; unless it disables token "
            "automounting, each of them carries an API credential it rarely needs."
        ),
        remediation="Set `automountServiceAccountToken: false` on each namespace's `default`.",
        references=(
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
        ),
        peers={"checkov": "CKV_K8S_41", "kubescape": "C-0189"},
        frameworks={"cis-kubernetes": ("5.1.5",), "mitre-attack-containers": ("T1528",)},
    )

    def check(self, resource: Resource) -> Iterator[Hit]:
        if resource.name == "default" and resource.obj.get("automountServiceAccountToken") is not (
            False
        ):
            yield Hit(
                path=(*resource.prefix, "automountServiceAccountToken"),
                message="the default service account automounts its token",
            )


class ExposedService(ResourceCheck):
    kinds = frozenset({"Service"})
    rule = k8s_rule(
        id="SL-K8S-052",
        title="Service exposed outside the cluster",
        severity=Severity.MEDIUM,
        description=(
            "NodePort opens the port on every node and LoadBalancer usually on the internet; "
            "either bypasses an ingress layer's TLS, authentication and WAF."
        ),
        remediation="Use ClusterIP behind an Ingress or Gateway, or restrict source ranges.",
        references=(_SERVICE_DOC,),
        frameworks={"mitre-attack-containers": ("T1133",)},
    )

    def check(self, resource: Resource) -> Iterator[Hit]:
        service_type = as_map(resource.obj.get("spec")).get("type")
        if service_type in {"NodePort", "LoadBalancer"}:
            yield Hit(
                path=(*resource.prefix, "spec", "type"),
                message=f"Service {resource.name!r} is of type {service_type}",
                evidence=f"type: {service_type}",
                severity=Severity.LOW if service_type == "NodePort" else None,
            )


class IngressWithoutTls(ResourceCheck):
    kinds = frozenset({"Ingress"})
    rule = k8s_rule(
        id="SL-K8S-053",
        title="Ingress without TLS",
        severity=Severity.MEDIUM,
        description="Without a `tls` section the Ingress serves plain HTTP: credentials in clear.",
        remediation="Add `spec.tls` with the hosts and a certificate Secret.",
        references=(_INGRESS_DOC,),
        peers={"kubescape": "C-0263"},
        frameworks={"mitre-attack-containers": ("T1557",)},
    )

    def check(self, resource: Resource) -> Iterator[Hit]:
        if not as_list(as_map(resource.obj.get("spec")).get("tls")):
            yield Hit(
                path=(*resource.prefix, "spec", "tls"),
                message=f"Ingress {resource.name!r} has no TLS",
            )


class SecretInConfigMap(ResourceCheck):
    kinds = frozenset({"ConfigMap"})
    rule = k8s_rule(
        id="SL-K8S-054",
        title="Credential stored in a ConfigMap",
        severity=Severity.HIGH,
        description=(
            "ConfigMaps are not meant for secrets: they are readable by more roles, are not "
            "encrypted at rest, and show up in logs and dashboards."
        ),
        remediation="Move the value to a Secret (or an external secret store).",
        references=("https://kubernetes.io/docs/concepts/configuration/configmap/",),
        peers={"kubescape": "C-0012"},
        frameworks={"mitre-attack-containers": ("T1552",)},
    )

    def check(self, resource: Resource) -> Iterator[Hit]:
        for key, value in as_map(resource.obj.get("data")).items():
            if looks_like_secret(str(key), value):
                yield Hit(
                    path=(*resource.prefix, "data", key),
                    message=f"ConfigMap {resource.name!r} key {key} holds a credential",
                    evidence=f"{key}=<redacted>",
                )


CLUSTER_CHECKS = (
    DefaultNamespace(),
    DefaultServiceAccountToken(),
    ExposedService(),
    IngressWithoutTls(),
    SecretInConfigMap(),
)
