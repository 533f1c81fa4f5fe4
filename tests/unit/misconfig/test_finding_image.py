"""Workload findings name the image their container runs (``Finding.image``, ADR 6)."""

from __future__ import annotations

from pathlib import Path

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  initContainers:
    - name: init
      image: " busybox:1.36 "
  containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext: {runAsUser: 0}
    - name: noimage
"""
COMPOSE = """\
services:
  web:
    image: registry.example.com/app:1.0
    user: root
  built:
    build: .
    user: root
"""


def _images(tmp_path: Path, name: str, text: str) -> dict[tuple[str, str], set[str | None]]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_scan(ScanRequest(spec=str(tmp_path), scanners=("misconfig",)), default_registry())
    images: dict[tuple[str, str], set[str | None]] = {}
    for finding in result.findings:
        images.setdefault((finding.rule_id, finding.anchor), set()).add(finding.image)
    return images


def test_kubernetes_container_findings_carry_the_container_image(tmp_path: Path) -> None:
    images = _images(tmp_path, "pod.yaml", POD)
    app = "Pod/shop/web:spec.containers[app]"
    assert images[("SL-K8S-010", f"{app}.securityContext.runAsUser")] == {
        "registry.example.com/app:1.0"
    }
    assert images[("SL-K8S-009", "Pod/shop/web:spec.initContainers[init].securityContext."
                   "runAsNonRoot")] == {"busybox:1.36"}  # fmt: skip
    assert images[("SL-K8S-009", "Pod/shop/web:spec.containers[noimage].securityContext."
                   "runAsNonRoot")] == {None}  # fmt: skip
    # a pod-level finding is about no single container
    assert images[("SL-K8S-037", "Pod/shop/web:spec.automountServiceAccountToken")] == {None}


def test_compose_service_findings_carry_the_service_image(tmp_path: Path) -> None:
    images = _images(tmp_path, "compose.yaml", COMPOSE)
    assert images[("SL-COMPOSE-010", "service:web/user")] == {"registry.example.com/app:1.0"}
    assert images[("SL-COMPOSE-010", "service:built/user")] == {None}  # built, not pulled


def test_the_image_is_no_fingerprint_input(tmp_path: Path) -> None:
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    (second / "compose.yaml").write_text(COMPOSE.replace("app:1.0", "app:2.0"), encoding="utf-8")

    def prints(directory: Path) -> dict[tuple[str, str], str]:
        result = run_scan(
            ScanRequest(spec=str(directory), scanners=("compose",)), default_registry()
        )
        return {(f.rule_id, f.anchor): f.fingerprint for f in result.findings}

    assert (
        prints(first)[("SL-COMPOSE-010", "service:web/user")]
        == prints(second)[("SL-COMPOSE-010", "service:web/user")]
    )
