"""Checks of namespacing, exposure and stored configuration (Services, Ingresses, ConfigMaps)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator

from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import Hit, KubernetesCheck, ResourceCheck, k8s_rule
from secloop.scan.misconfig.kubernetes.checks_workload import is_placeholder, looks_like_secret
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
#: Objects the API server itself keeps in ``default`` (a dump of a live cluster has them).
_BUILTIN_DEFAULTS = frozenset(
    {
        ("Service", "kubernetes"),
        ("Endpoints", "kubernetes"),
        ("EndpointSlice", "kubernetes"),
        ("ServiceAccount", "default"),
    }
)


def is_cluster_scoped(kind: str) -> bool:
    """Built-in cluster-scoped kinds, and custom ones named ``Cluster*`` by convention
    (Kyverno ``ClusterPolicy``, External Secrets ``ClusterSecretStore``, ...)."""
    return kind in CLUSTER_SCOPED_KINDS or (kind.startswith("Cluster") and kind != "Cluster")


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
        if is_cluster_scoped(resource.kind) or (resource.kind, resource.name) in (
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
        if service_type in ("NodePort", "LoadBalancer"):  # a tuple: the value may be a dict
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


#: Secret types whose data the cluster fills in, not the author (a tuple: the manifest's
#: ``type`` may be any value, a dict included).
_GENERATED_SECRET_TYPES = ("kubernetes.io/service-account-token",)


def _secret_value(value: object, *, encoded: bool) -> str | None:
    """The value as text (``data`` is base64), None when it cannot be read as one."""
    if not isinstance(value, str):
        return None
    if not encoded:
        return value
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return value  # not base64: the API server rejects it, but the text is still there


class SecretManifestData(ResourceCheck):
    kinds = frozenset({"Secret"})
    rule = k8s_rule(
        id="SL-K8S-065",
        title="Secret manifest carries its values",
        severity=Severity.HIGH,
        description=(
            "A Secret written out with `data` or `stringData` puts the credential in the "
            "repository and in every copy of it; base64 is an encoding, not encryption. "
            "Empty values and placeholders (`${VAR}`, `<value>`, `changeme`) are not reported."
        ),
        remediation=(
            "Keep the values out of the repository: create the Secret at deploy time, or use "
            "an encrypted form (Sealed Secrets, SOPS) or an external secret store."
        ),
        references=("https://kubernetes.io/docs/concepts/security/secrets-good-practices/",),
        frameworks={"mitre-attack-containers": ("T1552",)},
    )

    def check(self, resource: Resource) -> Iterator[Hit]:
        if resource.obj.get("type") in _GENERATED_SECRET_TYPES:
            return
        for section, encoded in (("data", True), ("stringData", False)):
            for key, value in as_map(resource.obj.get(section)).items():
                text = _secret_value(value, encoded=encoded)
                if text is None or len(text.strip()) < 4 or is_placeholder(text):
                    continue
                yield Hit(
                    path=(*resource.prefix, section, key),
                    message=f"Secret {resource.name!r} holds the value of {key} in the manifest",
                    evidence=f"{key}=<redacted>",
                )


CLUSTER_CHECKS = (
    DefaultNamespace(),
    DefaultServiceAccountToken(),
    ExposedService(),
    IngressWithoutTls(),
    SecretInConfigMap(),
    SecretManifestData(),
)
