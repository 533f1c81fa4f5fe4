"""Misconfiguration scanning: Kubernetes manifests, Dockerfiles and Compose files (issue #3).

``documents`` parses YAML/JSON with line maps; ``kubernetes`` normalises workloads and
holds the checks (and the Pod Security Standards evaluator, ``kubernetes.pss``);
``dockerfile`` parses Dockerfiles and holds theirs; ``compose`` holds the Compose checks;
``scanner`` plugs all three into the scan pipeline.
"""

from __future__ import annotations

from secloop.scan.misconfig.scanner import ComposeScanner, DockerfileScanner, KubernetesScanner

__all__ = ["ComposeScanner", "DockerfileScanner", "KubernetesScanner"]
