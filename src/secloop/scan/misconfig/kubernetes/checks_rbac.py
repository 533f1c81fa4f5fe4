"""Checks of RBAC objects: wildcards, dangerous verbs, and who is bound to what.

A Role's rules are a union: a permission is granted when *any* rule matches its API
group, resource and verb, ``*`` matching everything and ``*/sub`` any subresource.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.kubernetes.base import Hit, ResourceCheck, StreamCheck, k8s_rule
from secloop.scan.misconfig.kubernetes.model import Resource, Workload, as_list, as_map

__all__ = ["RBAC_CHECKS", "grants"]

_RBAC_DOC = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
_ROLES = frozenset({"Role", "ClusterRole"})
_BINDINGS = frozenset({"RoleBinding", "ClusterRoleBinding"})
_RBAC_GROUP = "rbac.authorization.k8s.io"
_PRIVESC = {"mitre-attack-containers": ("T1078", "T1098")}


@dataclass(frozen=True, slots=True)
class _Rule:
    index: int
    groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]


def _strings(value: object) -> frozenset[str]:
    return frozenset(str(v) for v in as_list(value) if v is not None)


def _rules(resource: Resource) -> list[_Rule]:
    return [
        _Rule(
            index=i,
            groups=_strings(as_map(r).get("apiGroups")),
            resources=_strings(as_map(r).get("resources")),
            verbs=_strings(as_map(r).get("verbs")),
        )
        for i, r in enumerate(as_list(resource.obj.get("rules")))
    ]


def _matches_resource(granted: frozenset[str], wanted: str) -> bool:
    if "*" in granted or wanted in granted:
        return True
    _, slash, sub = wanted.partition("/")
    return bool(slash) and f"*/{sub}" in granted


def _rule_grants(rule: _Rule, group: str, resource: str, verbs: Iterable[str]) -> bool:
    if "*" not in rule.groups and group not in rule.groups:
        return False
    if not _matches_resource(rule.resources, resource):
        return False
    return "*" in rule.verbs or any(v in rule.verbs for v in verbs)


def grants(
    rules: Sequence[_Rule], group: str, resources: Iterable[str], verbs: Iterable[str]
) -> _Rule | None:
    """The first rule granting any of ``verbs`` on any of ``resources`` in ``group``."""
    wanted_verbs = tuple(verbs)
    for resource in resources:
        for rule in rules:
            if _rule_grants(rule, group, resource, wanted_verbs):
                return rule
    return None


def _rule_path(resource: Resource, rule: _Rule) -> FieldPath:
    return (*resource.prefix, "rules", rule.index)


class WildcardRole(ResourceCheck):
    kinds = _ROLES
    rule = k8s_rule(
        id="SL-K8S-039",
        title="Role uses a wildcard",
        severity=Severity.HIGH,
        description=(
            "`*` in apiGroups, resources or verbs grants today's and every future permission, "
            "including ones added by CRDs installed later."
        ),
        remediation="List the API groups, resources and verbs the subject needs.",
        references=(_RBAC_DOC,),
        peers={"checkov": "CKV_K8S_49", "kubescape": "C-0187", "trivy": "KSV044"},
        frameworks={"cis-kubernetes": ("5.1.3",), **_PRIVESC},
    )

    def check(self, resource: Resource) -> Iterator[Hit]:
        for item in _rules(resource):
            for field in ("apiGroups", "resources", "verbs"):
                values = as_list(as_map(resource.obj["rules"][item.index]).get(field))
                if "*" in values:
                    yield Hit(
                        path=(*_rule_path(resource, item), field, values.index("*")),
                        message=f"{resource.kind} {resource.name!r} grants '*' {field}",
                        evidence=f"{field}: ['*']",
                    )


@dataclass(frozen=True, slots=True)
class _Permission:
    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


class _PermissionCheck(ResourceCheck):
    """Fails when the role grants every permission in ``required`` (one rule or several)."""

    kinds = _ROLES
    required: ClassVar[tuple[_Permission, ...]]
    what: ClassVar[str]

    def check(self, resource: Resource) -> Iterator[Hit]:
        rules = _rules(resource)
        matched = [grants(rules, p.group, p.resources, p.verbs) for p in self.required]
        if matched and all(m is not None for m in matched):
            first = matched[0]
            assert first is not None  # noqa: S101 - narrowed by the all() above
            yield Hit(
                path=_rule_path(resource, first),
                message=f"{resource.kind} {resource.name!r} allows {self.what}",
            )


def _rbac_rule(
    number: int, title: str, severity: Severity, description: str, peers: Mapping[str, str],
    *,
    cis: tuple[str, ...] = (),
) -> Rule:  # fmt: skip
    frameworks: dict[str, tuple[str, ...]] = dict(_PRIVESC)
    if cis:
        frameworks["cis-kubernetes"] = cis
    return k8s_rule(
        id=f"SL-K8S-{number:03d}",
        title=title,
        severity=severity,
        description=description,
        remediation="Remove the permission, or grant it only to a dedicated, audited subject.",
        references=(_RBAC_DOC,),
        peers=peers,
        frameworks=frameworks,
    )


class SecretsAccess(_PermissionCheck):
    required = (_Permission("", ("secrets",), ("get", "list", "watch")),)
    what = "reading Secrets"
    rule = _rbac_rule(
        40, "Role can read Secrets", Severity.HIGH,
        "Reading Secrets yields service account tokens and application credentials; list "
        "and watch return every Secret of the scope at once.",
        {"kubescape": "C-0015", "trivy": "KSV041"}, cis=("5.1.2",),
    )  # fmt: skip


class BindRoles(_PermissionCheck):
    required = (_Permission(_RBAC_GROUP, ("roles", "clusterroles"), ("bind",)),)
    what = "binding roles it does not hold"
    rule = _rbac_rule(
        41, "Role can bind roles", Severity.HIGH,
        "The bind verb lets a subject grant any role, including ones with more rights than "
        "its own, to itself or others.",
        {"checkov": "CKV_K8S_157", "kubescape": "C-0191"}, cis=("5.1.8",),
    )  # fmt: skip


class EscalateRoles(_PermissionCheck):
    required = (_Permission(_RBAC_GROUP, ("roles", "clusterroles"), ("escalate",)),)
    what = "escalating roles beyond its own rights"
    rule = _rbac_rule(
        42, "Role can escalate roles", Severity.HIGH,
        "The escalate verb lets a subject edit a role to include rights it does not have.",
        {"checkov": "CKV_K8S_158", "kubescape": "C-0191"}, cis=("5.1.8",),
    )  # fmt: skip


class Impersonate(_PermissionCheck):
    required = (_Permission("", ("users", "groups", "serviceaccounts"), ("impersonate",)),)
    what = "impersonating users, groups or service accounts"
    rule = _rbac_rule(
        43, "Role can impersonate", Severity.HIGH,
        "Impersonation lets a subject act as any user or group, system:masters included.",
        {"kubescape": "C-0065"}, cis=("5.1.8",),
    )  # fmt: skip


class PodExec(_PermissionCheck):
    required = (_Permission("", ("pods/exec", "pods/attach"), ("create", "get")),)
    what = "executing commands in pods"
    rule = _rbac_rule(
        44, "Role can exec into pods", Severity.MEDIUM,
        "pods/exec gives a shell in every container of the scope, with their secrets and "
        "service account tokens.",
        {"kubescape": "C-0002"},
    )  # fmt: skip


class ApproveCsr(_PermissionCheck):
    required = (
        _Permission(
            "certificates.k8s.io", ("certificatesigningrequests/approval",), ("update", "patch")
        ),
        _Permission("certificates.k8s.io", ("signers",), ("approve",)),
    )
    what = "approving certificate signing requests"
    rule = _rbac_rule(
        45, "Role can approve certificate signing requests", Severity.HIGH,
        "Approving CSRs lets a subject mint client certificates for any identity, such as "
        "a node or system:masters.",
        {"checkov": "CKV_K8S_156", "kubescape": "C-0280"},
    )  # fmt: skip


class ControlWebhooks(_PermissionCheck):
    required = (
        _Permission(
            "admissionregistration.k8s.io",
            ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"),
            ("create", "update", "patch"),
        ),
    )
    what = "changing admission webhook configurations"
    rule = _rbac_rule(
        46, "Role controls admission webhooks", Severity.HIGH,
        "Admission webhooks see and can rewrite every object sent to the API server; "
        "controlling them is controlling the cluster.",
        {"checkov": "CKV_K8S_155", "kubescape": "C-0281"},
    )  # fmt: skip


_WRITE = ("create", "update", "patch")
_WORKLOADS = (
    _Permission("", ("pods", "replicationcontrollers"), _WRITE),
    _Permission("apps", ("deployments", "daemonsets", "statefulsets", "replicasets"), _WRITE),
    _Permission("batch", ("jobs", "cronjobs"), _WRITE),
)


class WorkloadWrite(ResourceCheck):
    """Any one of the workload permissions suffices (unlike :class:`_PermissionCheck`)."""

    kinds = _ROLES
    rule = _rbac_rule(
        57, "Role can create or modify workloads", Severity.MEDIUM,
        "Whoever can create or patch pods (directly, or through a Deployment, DaemonSet, "
        "Job, ...) can run a pod with any service account of the namespace, mount its "
        "secrets, and, where admission allows, run privileged on a node.",
        {"kubescape": "C-0188", "trivy": "KSV048"}, cis=("5.1.4",),
    )  # fmt: skip

    def check(self, resource: Resource) -> Iterator[Hit]:
        rules = _rules(resource)
        for permission in _WORKLOADS:
            found = grants(rules, permission.group, permission.resources, permission.verbs)
            if found is not None:
                yield Hit(
                    path=_rule_path(resource, found),
                    message=f"{resource.kind} {resource.name!r} can create or modify workloads",
                )
                return


class NodeProxy(_PermissionCheck):
    required = (_Permission("", ("nodes/proxy",), ("get", "create")),)
    what = "the nodes/proxy subresource (the kubelet API)"
    rule = _rbac_rule(
        58, "Role can reach the kubelet through nodes/proxy", Severity.HIGH,
        "nodes/proxy forwards requests to each node's kubelet API, which can exec into "
        "any pod on the node and bypasses API server audit and admission.",
        {"trivy": "KSV047"}, cis=("5.1.10",),
    )  # fmt: skip


def _subjects(resource: Resource) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, subject in enumerate(as_list(resource.obj.get("subjects"))):
        yield index, as_map(subject)


def _is_admin_equivalent(role: Resource) -> bool:
    """A rule granting every verb on every resource (of some API group): cluster-admin's shape."""
    return any("*" in rule.verbs and "*" in rule.resources for rule in _rules(role))


def _bound_role(
    binding: Resource, roles: Mapping[tuple[str, str | None, str], Resource]
) -> Resource | None:
    """The Role or ClusterRole of the same file that ``binding``'s roleRef names."""
    ref = as_map(binding.obj.get("roleRef"))
    kind = str(ref.get("kind", "ClusterRole"))
    namespace = binding.namespace if kind == "Role" else None  # a Role is its binding's
    return roles.get((kind, namespace, str(ref.get("name"))))


class ClusterAdminBinding(StreamCheck):
    """cluster-admin by name on each binding; by its rules when the role is in the same file."""

    kinds: ClassVar[frozenset[str]] = _BINDINGS
    rule = _rbac_rule(
        47, "Binding to cluster-admin", Severity.HIGH,
        "cluster-admin is unrestricted superuser access to every resource of the cluster. "
        "A role of the same file that grants every verb on every resource (`*` on `*`) is "
        "cluster-admin under another name, and binding it is reported too.",
        {"kubescape": "C-0035", "trivy": "KSV111"}, cis=("5.1.1",),
    )  # fmt: skip

    def evaluate(self, resource: Resource, workload: Workload | None) -> Iterator[Hit]:
        ref = as_map(resource.obj.get("roleRef"))
        if (
            resource.kind in self.kinds
            and ref.get("name") == "cluster-admin"
            and ref.get("kind", "ClusterRole") == "ClusterRole"
        ):
            yield Hit(
                path=(*resource.prefix, "roleRef", "name"),
                message=f"{resource.kind} {resource.name!r} grants cluster-admin",
                evidence="roleRef.name: cluster-admin",
            )

    def check_all(
        self, resources: Sequence[tuple[Resource, Workload | None]]
    ) -> Iterator[tuple[Resource, Hit]]:
        roles = {
            (r.kind, r.namespace if r.kind == "Role" else None, r.name): r
            for r, _ in resources
            if r.kind in _ROLES and _is_admin_equivalent(r)
        }
        if not roles:
            return
        for resource, _ in resources:
            role = _bound_role(resource, roles) if resource.kind in self.kinds else None
            if role is not None and role.name != "cluster-admin":
                hit = Hit(
                    path=(*resource.prefix, "roleRef", "name"),
                    message=f"{resource.kind} {resource.name!r} grants {role.kind} "
                    f"{role.name!r}, which allows every verb on every resource",
                    evidence=f"roleRef.name: {role.name}",
                )
                yield resource, hit


class DefaultServiceAccountBinding(ResourceCheck):
    kinds = _BINDINGS
    rule = _rbac_rule(
        48, "Role bound to a default service account", Severity.MEDIUM,
        "Rights bound to a namespace's `default` service account reach every pod that does "
        "not name its own service account.",
        {"checkov": "CKV_K8S_42", "kubescape": "C-0189"}, cis=("5.1.5",),
    )  # fmt: skip

    def check(self, resource: Resource) -> Iterator[Hit]:
        for index, subject in _subjects(resource):
            if subject.get("kind") == "ServiceAccount" and subject.get("name") == "default":
                yield Hit(
                    path=(*resource.prefix, "subjects", index, "name"),
                    message=f"{resource.kind} {resource.name!r} binds the default service account",
                )


class AnonymousBinding(ResourceCheck):
    kinds = _BINDINGS
    rule = _rbac_rule(
        49, "Role bound to anonymous or unauthenticated users", Severity.CRITICAL,
        "system:anonymous and system:unauthenticated are anyone who can reach the API "
        "server; rights bound to them are public.",
        {"kubescape": "C-0262"}, cis=("5.1.1",),
    )  # fmt: skip

    def check(self, resource: Resource) -> Iterator[Hit]:
        for index, subject in _subjects(resource):
            name = subject.get("name")  # a dict in an unrendered ``{{ .Values.x }}``
            if isinstance(name, str) and name in {"system:anonymous", "system:unauthenticated"}:
                yield Hit(
                    path=(*resource.prefix, "subjects", index, "name"),
                    message=f"{resource.kind} {resource.name!r} binds {subject.get('name')}",
                    evidence=str(subject.get("name")),
                )


RBAC_CHECKS = (
    WildcardRole(),
    SecretsAccess(),
    BindRoles(),
    EscalateRoles(),
    Impersonate(),
    PodExec(),
    ApproveCsr(),
    ControlWebhooks(),
    WorkloadWrite(),
    NodeProxy(),
    ClusterAdminBinding(),
    DefaultServiceAccountBinding(),
    AnonymousBinding(),
)
