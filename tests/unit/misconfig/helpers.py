"""Build FileContent values for the misconfiguration scanners in tests."""

from __future__ import annotations

from secloop.core.finding import Finding
from secloop.scan.interface import FileContent, FileEntry
from secloop.scan.misconfig import DockerfileScanner, KubernetesScanner
from secloop.scan.misconfig.scanner import scan_single_file


def content(path: str, text: str) -> FileContent:
    data = text.encode("utf-8")
    return FileContent(entry=FileEntry(path=path, size=len(data)), data=data)


def scan_k8s(text: str, path: str = "manifests/app.yaml") -> list[Finding]:
    outcomes = scan_single_file(KubernetesScanner(), content(path, text))
    return [f for f in outcomes if isinstance(f, Finding)]


def scan_docker(text: str, path: str = "Dockerfile") -> list[Finding]:
    return list(DockerfileScanner().scan_file(content(path, text)))
