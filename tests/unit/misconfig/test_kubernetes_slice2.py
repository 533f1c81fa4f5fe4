"""Cross-document Kubernetes checks and the registry heuristics (issue #3, second slice)."""

from __future__ import annotations

import pytest

from secloop.scan.misconfig.kubernetes.checks_registry import (
    image_registry,
    insecure_registry_reason,
)
from tests.unit.misconfig.helpers import scan_k8s

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
POLICY = (
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
    "  namespace: {ns}\nspec:\n  podSelector: {selector}\n{rest}"
)


@pytest.mark.parametrize(
    ("policy", "fires"),
    [
        (POLICY.format(ns="shop", selector="{}", rest="  policyTypes: [Ingress]\n"), False),
        (POLICY.format(ns="shop", selector="{}", rest=""), False),
        (POLICY.format(ns="other", selector="{}", rest="  policyTypes: [Ingress]\n"), True),
        (POLICY.format(ns="shop", selector="{matchLabels: {a: b}}", rest=""), True),
        (POLICY.format(ns="shop", selector="{}", rest="  policyTypes: [Egress]\n"), True),
        (POLICY.format(ns="shop", selector="{}", rest="  ingress: [{}]\n"), True),
    ],
)
def test_default_deny_is_judged_across_documents(policy: str, fires: bool) -> None:
    findings = scan_k8s(NS.format(name="shop") + "---\n" + policy)
    assert any(f.rule_id == "SL-K8S-060" for f in findings) is fires


def test_system_namespaces_are_exempt() -> None:
    rules = {f.rule_id for f in scan_k8s(NS.format(name="kube-system"))}
    assert not {"SL-K8S-059", "SL-K8S-060"} & rules


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("nginx", None),
        ("library/nginx:1", None),
        ("docker.io/library/nginx:1", "docker.io"),
        ("localhost/app", "localhost"),
        ("10.0.0.5:5000/app:1", "10.0.0.5:5000"),
    ],
)
def test_image_registry(image: str, registry: str | None) -> None:
    assert image_registry(image) == registry


@pytest.mark.parametrize(
    ("image", "insecure"),
    [
        ("registry.example.com/app:1", False),
        ("registry.example.com:443/app:1", False),
        ("registry.example.com:5000/app:1", True),
        ("192.168.1.10/app:1", True),
        ("[::1]:8443/app:1", True),
        ("localhost:5001/app", True),
        ("insecure-registry.corp/app:1", True),
        ("http://registry.example.com/app:1", True),
        ("nginx:1.27", False),
    ],
)
def test_insecure_registry_hints(image: str, insecure: bool) -> None:
    assert (insecure_registry_reason(image) is not None) is insecure
