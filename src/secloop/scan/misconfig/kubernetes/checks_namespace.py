"""Checks of namespaces as isolation boundaries: admission labels, default-deny, mixed trust.

Two of these look across documents. The default-deny check is a
:class:`~secloop.scan.misconfig.kubernetes.scan_wide.ScanWideCheck`: a Namespace's
NetworkPolicy may be in any file of the scan or in a rendered overlay or chart, so it
is judged over all of them. The mixed-levels check stays per file (it needs every
workload's pod spec, which the scan does not keep past its file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import Hit, ResourceCheck, StreamCheck, k8s_rule
from secloop.scan.misconfig.kubernetes.model import Resource, Workload, as_list, as_map
from secloop.scan.misconfig.kubernetes.pss import PssLevel, highest_level
from secloop.scan.misconfig.kubernetes.scan_wide import ScanWideCheck

__all__ = ["NAMESPACE_CHECKS", "is_default_deny"]

_PSA_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
_NETPOL_DOC = (
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies"
)
_ENFORCE = "pod-security.kubernetes.io/enforce"
#: Namespaces Kubernetes creates for itself; their components legitimately run privileged.
_SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})


def is_default_deny(policy: Mapping[str, Any]) -> bool:
    """An ingress default-deny: selects every pod, is of type Ingress, allows no ingress."""
    spec = as_map(policy.get("spec"))
    if as_map(spec.get("podSelector")):
        return False
    types = as_list(spec.get("policyTypes")) or ["Ingress"]
    return "Ingress" in types and not as_list(spec.get("ingress"))


class PssLabelMissing(ResourceCheck):
    kinds = frozenset({"Namespace"})
    rule = k8s_rule(
        id="SL-K8S-059",
        title="Namespace does not enforce a Pod Security Standard",
        severity=Severity.MEDIUM,
        description=(
            "Without `pod-security.kubernetes.io/enforce: baseline` (or `restricted`), Pod "
            "Security Admission admits privileged pods into the namespace. `privileged` as "
            "the enforce level is reported too; kube-system and the other system namespaces "
            "are exempt."
        ),
        remediation="Label it `pod-security.kubernetes.io/enforce: restricted` (or `baseline`).",
        references=(_PSA_DOC,),
        frameworks={"cis-kubernetes": ("5.2.1",), "nsa-cisa": ("pod-security",)},
    )  # fmt: skip

    def check(self, resource: Resource) -> Iterator[Hit]:
        if resource.name in _SYSTEM_NAMESPACES:
            return
        labels = as_map(as_map(resource.obj.get("metadata")).get("labels"))
        level = labels.get(_ENFORCE)
        if level not in ("baseline", "restricted"):  # a tuple: the label may be a dict
            yield Hit(
                path=(*resource.prefix, "metadata", "labels", _ENFORCE),
                message=f"namespace {resource.name!r} enforces no Pod Security Standard",
                evidence=None if level is None else f"{_ENFORCE}: {level}",
            )


class NoDefaultDenyPolicy(ScanWideCheck):
    kinds = frozenset({"Namespace", "NetworkPolicy"})
    rule = k8s_rule(
        id="SL-K8S-060",
        title="Namespace without a default-deny NetworkPolicy",
        severity=Severity.MEDIUM,
        description=(
            "Pods accept traffic from every pod in the cluster until a NetworkPolicy selects "
            "them; a default-deny ingress policy (`podSelector: {}`, `policyTypes: [Ingress]`, "
            "no rules) makes every allowed flow explicit. Judged over the whole scan: a "
            "Namespace is reported when no such policy for it is in any scanned manifest, "
            "plain or rendered from a Kustomize overlay or Helm chart."
        ),
        remediation="Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]`.",
        references=(_NETPOL_DOC,),
        peers={"kubescape": "C-0054"},
        frameworks={"nsa-cisa": ("network-separation",), "mitre-attack-containers": ("T1210",)},
    )

    def check_all(
        self, resources: Sequence[tuple[Resource, Workload | None]]
    ) -> Iterable[tuple[Resource, Hit]]:
        denied = {
            r.namespace or "default"
            for r, _ in resources
            if r.kind == "NetworkPolicy" and is_default_deny(r.obj)
        }
        for resource, _ in resources:
            if resource.kind == "Namespace" and resource.name not in denied | _SYSTEM_NAMESPACES:
                hit = Hit(
                    path=(*resource.prefix, "metadata", "name"),
                    message=f"namespace {resource.name!r} has no default-deny NetworkPolicy",
                )
                yield resource, hit


class MixedPssLevels(StreamCheck):
    rule = k8s_rule(
        id="SL-K8S-061",
        title="Privileged workload shares a namespace with confined ones",
        severity=Severity.MEDIUM,
        description=(
            "A namespace is one trust boundary: Secrets, service accounts and network policy "
            "are shared. A workload that needs the privileged level (fails PSS baseline) next "
            "to baseline or restricted ones gives an attacker who lands in any of them a path "
            "to the node. Judged per file at the latest PSS version."
        ),
        remediation="Move the privileged workload to its own namespace with its own policies.",
        references=(_PSA_DOC,),
        frameworks={"nsa-cisa": ("namespace-separation",), "mitre-attack-containers": ("T1611",)},
    )

    def check_all(
        self, resources: Sequence[tuple[Resource, Workload | None]]
    ) -> Iterable[tuple[Resource, Hit]]:
        by_namespace: dict[str, list[tuple[Resource, Workload]]] = defaultdict(list)
        for resource, workload in resources:
            if workload is not None and not workload.synthetic:
                by_namespace[resource.namespace or "default"].append((resource, workload))
        for namespace, workloads in by_namespace.items():
            if len(workloads) < 2:
                continue  # alone in its namespace: skip the costly PSS evaluation
            members = [(resource, highest_level(workload)) for resource, workload in workloads]
            if {level for _, level in members} == {PssLevel.PRIVILEGED}:
                continue
            for resource, level in members:
                if level is PssLevel.PRIVILEGED:
                    hit = Hit(
                        path=(*resource.prefix, "metadata", "namespace"),
                        message=f"{resource.kind} {resource.name!r} needs the privileged level "
                        f"but shares namespace {namespace!r} with confined workloads",
                    )
                    yield resource, hit


NAMESPACE_CHECKS = (PssLabelMissing(), NoDefaultDenyPolicy(), MixedPssLevels())
