"""One ingest scenario for derived exposure, run on SQLite (unit) and PostgreSQL (integration).

Real secloop scans of real manifests go in through the API; so do Trivy reports for the
images those manifests deploy. Every assertion reads the priority the API shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.unit.server.conftest import findings, upload
from tests.unit.server.reports import secloop_scan, trivy_vulns

__all__ = ["INGRESS", "INTERNET_PATH", "WEB", "privileged", "run", "secloop_scan"]

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/web:1.2
        securityContext: {privileged: true}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
BATCH = (
    WEB.replace("name: web,", "name: batch,")
    .replace("app: web", "app: batch")
    .replace("acme/web", "acme/batch")
)
INGRESS = """\
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""
INTERNET_PATH = (
    "reachable from the internet: Ingress shop/web (host shop.example.com) → "
    "Service shop/web:80 → Deployment shop/web"
)


def privileged(rows: list[dict[str, Any]], workload: str) -> dict[str, Any]:
    (row,) = [
        f
        for f in rows
        if f["rule_id"] == "SL-K8S-001" and f"Deployment/shop/{workload}" in f["location"]
    ]
    return row


def _assets(client: TestClient, project: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/assets", params={"project": project})
    assert response.status_code == 200, response.text
    assets: list[dict[str, Any]] = response.json()
    return assets


def _check_workloads_api(client: TestClient, project: str) -> None:
    """The API lists the project's workloads, widest exposure first."""
    listed = client.get(f"/api/v1/projects/{project}/workloads")
    assert listed.status_code == 200, listed.text
    by_resource = {w["resource"]: w for w in listed.json()}
    assert listed.json()[0]["exposure"] == "internet"
    assert by_resource["Deployment/shop/web"]["exposure"] == "internet"
    assert INTERNET_PATH.endswith(by_resource["Deployment/shop/web"]["path"])
    assert by_resource["Deployment/shop/web"]["images"] == ["ghcr.io/acme/web:1.2"]
    assert by_resource["Deployment/shop/batch"]["exposure"] == "cluster"
    assert client.get("/api/v1/projects/nope/workloads").status_code in (403, 404)


def run(client: TestClient, tmp_path: Path, project: str) -> None:
    """Manifests, then images, then manifests again without the Ingress, then a manual setting."""
    # An image scanned before any manifest names it: nothing derived yet.
    image = trivy_vulns(("CVE-2021-44420", "django", "3.2.9"))
    upload(client, image, project=project, asset="ghcr.io/acme/web:1.2", fmt="trivy")
    (vuln,) = findings(client, project=project)
    assert "exposure unknown" in vuln["priority_explanation"]

    # (1) the manifests: web behind an Ingress, batch behind a ClusterIP Service.
    manifests = secloop_scan(tmp_path / "v1", WEB + INGRESS + "---\n" + BATCH)
    upload(client, manifests, project=project, asset="deploy")
    rows = findings(client, project=project)
    web, batch = privileged(rows, "web"), privileged(rows, "batch")
    assert INTERNET_PATH in web["priority_explanation"]
    assert (
        "reachable inside the cluster: Service shop/batch:80 (ClusterIP)"
        in (batch["priority_explanation"])
    )
    assert web["severity"] == batch["severity"]
    assert web["priority"] > batch["priority"]  # same rule, same severity: exposure decides
    ordered = findings(client, project=project, sort="priority")
    assert ordered.index(web) < ordered.index(batch)
    _check_workloads_api(client, project)

    # The image scanned earlier is what web runs: it became internet-facing too.
    vuln = next(f for f in rows if f["rule_id"] == "CVE-2021-44420")
    assert f"{INTERNET_PATH} → image ghcr.io/acme/web:1.2" in vuln["priority_explanation"]

    # (2) an image no workload runs stays unknown; batch's image is cluster-wide.
    other = trivy_vulns(("CVE-2022-0001", "flask", "0.1"))
    upload(client, other, project=project, asset="ghcr.io/acme/other:9", fmt="trivy")
    upload(client, other, project=project, asset="ghcr.io/acme/batch:1.2", fmt="trivy")
    names = {a["id"]: a["name"] for a in _assets(client, project)}
    by_asset = {
        names[f["asset_id"]]: f["priority_explanation"]
        for f in findings(client, project=project)
        if f["rule_id"] == "CVE-2022-0001"
    }
    assert "exposure unknown" in by_asset["ghcr.io/acme/other:9"]
    assert "reachable inside the cluster" in by_asset["ghcr.io/acme/batch:1.2"]

    # (3) re-ingest without the Ingress: web and its image drop to cluster.
    upload(
        client,
        secloop_scan(tmp_path / "v2", WEB + "---\n" + BATCH),
        project=project,
        asset="deploy",
    )
    rows = findings(client, project=project)
    assert "reachable inside the cluster" in privileged(rows, "web")["priority_explanation"]
    vuln = next(f for f in rows if f["rule_id"] == "CVE-2021-44420")
    assert "reachable inside the cluster" in vuln["priority_explanation"]

    # The dashboard shows the project's workloads and a finding's workload exposure.
    page = client.get(f"/projects/{project}")
    assert page.status_code == 200, page.text
    assert 'data-testid="workloads"' in page.text
    assert "Deployment/shop/batch" in page.text
    detail = client.get(f"/findings/{privileged(rows, 'web')['id']}")
    assert 'data-testid="derived-exposure"' in detail.text
    assert "cluster: Service shop/web:80 (ClusterIP) → Deployment shop/web" in detail.text

    # (4) an exposure set by hand on the asset still wins.
    (asset,) = [a for a in _assets(client, project) if a["name"] == "deploy"]
    response = client.patch(f"/api/v1/assets/{asset['id']}", json={"exposure": "isolated"})
    assert response.status_code == 200, response.text
    web = privileged(findings(client, project=project), "web")
    assert "isolated" in web["priority_explanation"]
    assert "reachable" not in web["priority_explanation"]
