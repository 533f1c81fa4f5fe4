"""Kubernetes manifest checks: the explicit table of every check, in report order."""

from __future__ import annotations

from secloop.scan.misconfig.kubernetes.base import KubernetesCheck
from secloop.scan.misconfig.kubernetes.checks_cluster import CLUSTER_CHECKS
from secloop.scan.misconfig.kubernetes.checks_host import HOST_CHECKS
from secloop.scan.misconfig.kubernetes.checks_isolation import ISOLATION_CHECKS
from secloop.scan.misconfig.kubernetes.checks_namespace import NAMESPACE_CHECKS
from secloop.scan.misconfig.kubernetes.checks_rbac import RBAC_CHECKS
from secloop.scan.misconfig.kubernetes.checks_registry import REGISTRY_CHECKS
from secloop.scan.misconfig.kubernetes.checks_security_context import SECURITY_CONTEXT_CHECKS
from secloop.scan.misconfig.kubernetes.checks_workload import WORKLOAD_CHECKS

__all__ = ["KUBERNETES_CHECKS"]

KUBERNETES_CHECKS: tuple[KubernetesCheck, ...] = tuple(
    sorted(
        (
            *SECURITY_CONTEXT_CHECKS,
            *ISOLATION_CHECKS,
            *HOST_CHECKS,
            *WORKLOAD_CHECKS,
            *RBAC_CHECKS,
            *CLUSTER_CHECKS,
            *REGISTRY_CHECKS,
            *NAMESPACE_CHECKS,
        ),
        key=lambda check: check.rule.id,
    )
)
