"""Misconfiguration scanning: Kubernetes manifests and Dockerfiles (issue #3).

``documents`` parses YAML/JSON with line maps; ``kubernetes`` normalises workloads and
holds the checks; ``dockerfile`` parses Dockerfiles and holds theirs; ``scanner`` plugs
both into the scan pipeline.
"""

from __future__ import annotations

from secloop.scan.misconfig.scanner import DockerfileScanner, KubernetesScanner

__all__ = ["DockerfileScanner", "KubernetesScanner"]
