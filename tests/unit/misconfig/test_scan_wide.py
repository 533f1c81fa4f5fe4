"""SL-K8S-060 (default-deny NetworkPolicy) is judged over every manifest of a scan:
plain files together, and plain files with what ``kubectl kustomize`` renders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secloop.core.result import ScanResult
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl missing")

RULE = "SL-K8S-060"


def _namespace(name: str, marker: str = "") -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}{marker}\n"


def _deny(namespace: str | None) -> str:
    where = f"\n  namespace: {namespace}" if namespace else ""
    return (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata:\n  name: default-deny{where}\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n"
    )


def _scan(root: Path, *scanners: str) -> ScanResult:
    request = ScanRequest(spec=str(root), scanners=scanners or ("kubernetes",))
    return run_scan(request, default_registry())


def _reported(result: ScanResult) -> set[tuple[str, str | None]]:
    """(Namespace name, the path its SL-K8S-060 finding points at)."""
    found: set[tuple[str, str | None]] = set()
    for finding in result.findings:
        if finding.rule_id == RULE:
            resource = finding.location.resource
            assert resource is not None
            found.add((resource.name, finding.location.path))
    return found


def test_policy_in_another_file_covers_the_namespace(tmp_path: Path) -> None:
    (tmp_path / "namespaces.yaml").write_text(_namespace("shop") + "---\n" + _namespace("tools"))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "shop.yaml").write_text(_deny("shop"))
    result = _scan(tmp_path)
    assert _reported(result) == {("tools", "namespaces.yaml")}
    finding = next(f for f in result.findings if f.rule_id == RULE)
    assert finding.location.start_line == 9  # metadata.name of the second document
    assert finding.fingerprint  # numbered by the engine as every other finding


def test_inline_marker_applies_to_the_scan_wide_finding(tmp_path: Path) -> None:
    marker = "  # secloop:ignore SL-K8S-060 sandbox namespace, torn down nightly"
    (tmp_path / "ns.yaml").write_text(_namespace("sandbox", marker))
    finding = next(f for f in _scan(tmp_path).findings if f.rule_id == RULE)
    assert finding.suppression is not None
    assert finding.suppression.reason == "sandbox namespace, torn down nightly"


def _overlay(root: Path, resources: str) -> None:
    overlay = root / "deploy" / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(f"resources: [{resources}]\n")


@needs_kubectl
def test_rendered_policy_covers_a_plain_namespace(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(_namespace("prod") + "---\n" + _namespace("staging"))
    _overlay(tmp_path, "policy.yaml")
    (tmp_path / "deploy" / "overlays" / "prod" / "policy.yaml").write_text(_deny("prod"))
    assert _reported(_scan(tmp_path, "kubernetes", "render")) == {("staging", "ns.yaml")}


@needs_kubectl
def test_plain_policy_covers_a_rendered_namespace(tmp_path: Path) -> None:
    (tmp_path / "policies.yaml").write_text(_deny("prod"))
    _overlay(tmp_path, "namespaces.yaml")
    overlay = tmp_path / "deploy" / "overlays" / "prod"
    (overlay / "namespaces.yaml").write_text(_namespace("prod") + "---\n" + _namespace("qa"))
    kustomization = "deploy/overlays/prod/kustomization.yaml"
    both = _scan(tmp_path, "kubernetes", "render")
    # qa twice: the overlay's file as a plain manifest, and what the overlay renders.
    plain = "deploy/overlays/prod/namespaces.yaml"
    assert _reported(both) == {("qa", plain), ("qa", kustomization)}
    rendered = next(
        f for f in both.findings if f.rule_id == RULE and f.location.path == kustomization
    )
    assert rendered.scanner == "render"
    assert rendered.anchor.startswith("kustomize:Namespace/qa")
    # The render scanner alone judges its rendered streams by themselves.
    alone = _reported(_scan(tmp_path, "render"))
    assert alone == {("prod", kustomization), ("qa", kustomization)}
