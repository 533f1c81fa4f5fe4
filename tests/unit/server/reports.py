"""Small reports built in code for the API, correlation and lifecycle tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secloop.output.json_format import result_to_document
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry

PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext:
        privileged: true
"""
SAFE_POD = PRIVILEGED_POD.replace("privileged: true", "privileged: false")
FIXED_CLOCK = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def secloop_scan(directory: Path, manifest: str) -> bytes:
    """A real secloop scan of one manifest, as its JSON report."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pod.yaml").write_text(manifest, encoding="utf-8")
    request = ScanRequest(spec=str(directory), scanners=("misconfig",))
    result = run_scan(request, default_registry(), clock=lambda: FIXED_CLOCK)
    return json.dumps(result_to_document(result)).encode("utf-8")


def checkov_privileged() -> bytes:
    check = {
        "check_id": "CKV_K8S_16",
        "check_name": "Container should not be privileged",
        "file_path": "/pod.yaml",
        "file_line_range": [1, 10],
        "resource": "Pod.default.priv",
    }
    return json.dumps(
        {"check_type": "kubernetes", "results": {"failed_checks": [check]}, "summary": {}}
    ).encode("utf-8")


def trivy_vulns(*vulns: tuple[str, str, str]) -> bytes:
    """A Trivy filesystem report: (advisory id, package, version) in requirements.txt."""
    entries: list[dict[str, Any]] = [
        {
            "VulnerabilityID": vid,
            "PkgName": name,
            "InstalledVersion": version,
            "FixedVersion": "9.9.9",
            "Severity": "HIGH",
            "Title": f"{vid} in {name}",
        }
        for vid, name, version in vulns
    ]
    result = {
        "Target": "requirements.txt",
        "Class": "lang-pkgs",
        "Type": "pip",
        "Vulnerabilities": entries,
    }
    document = {"SchemaVersion": 2, "ArtifactName": ".", "Results": [result]}
    return json.dumps(document).encode("utf-8")


def grype_ghsa(ghsa: str, cve: str, name: str, version: str) -> bytes:
    match = {
        "vulnerability": {"id": ghsa, "severity": "Critical", "fix": {"versions": ["3.2.10"]}},
        "relatedVulnerabilities": [{"id": cve}],
        "artifact": {
            "name": name,
            "version": version,
            "type": "python",
            "locations": [{"path": f"/usr/lib/python3/site-packages/{name}/METADATA"}],
        },
    }
    document = {"matches": [match], "descriptor": {"name": "grype", "version": "0.80.0"}}
    return json.dumps(document).encode("utf-8")
