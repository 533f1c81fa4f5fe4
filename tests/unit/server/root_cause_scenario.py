"""One ingest scenario for root-cause links, run on SQLite (unit) and PostgreSQL
(integration).

Real secloop reports go in through the API: a scan of a Deployment whose container
runs ``registry.test/web:1.2`` as root without a liveness probe, then an image scan of
that image, pulled through the registry protocol from the in-memory registry fake and
scanned with ``--dockerfile`` semantics (the Dockerfile without USER scanned in the
same run, its findings linked by secloop). The server must link the workload's
findings with the image's and the Dockerfile's, whichever came first.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from secloop.output.json_format import result_to_document
from secloop.policy.apply import PolicySettings, apply_policy
from secloop.policy.links import built_from
from secloop.scan.artifact.image.opener import ImageOptions, RegistryOpener
from secloop.scan.engine import scan_artifact
from secloop.scan.image_checks.built_from import add_dockerfile, report_path
from secloop.scan.image_checks.scanner import ImageConfigScanner
from secloop.scan.interface import ScanLimits
from secloop.scan.registry import default_registry
from tests.unit.image.builders import Image, Layer, file
from tests.unit.image.fake_registry import FakeRegistry
from tests.unit.server.conftest import findings, upload
from tests.unit.server.reports import secloop_scan

IMAGE = "registry.test/web:1.2"
DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: {IMAGE}
        securityContext: {{runAsUser: 0}}
      - name: sidecar
        image: busybox:1.36
"""
DOCKERFILE = 'FROM debian:12\nCOPY app.txt /srv/\nCMD ["cat", "/srv/app.txt"]\n'


def image_report(directory: Path) -> bytes:
    """``secloop image registry.test/web:1.2 --dockerfile Dockerfile``, in the library."""
    directory.mkdir(parents=True, exist_ok=True)
    registry = FakeRegistry()
    layer = Layer([file("srv/app.txt", "hello\n")], created_by="COPY app.txt /srv/")
    registry.push("web", "1.2", Image([layer], user="root"))
    opener = RegistryOpener(ImageOptions(cache_dir=directory / "cache"), transport=registry)
    with opener.open(IMAGE, limits=ScanLimits(), excludes=(), use_gitignore=False) as artifact:
        result = scan_artifact(artifact, analyzers=(), scanners=(ImageConfigScanner(),))
    dockerfile = directory / "Dockerfile"
    dockerfile.write_text(DOCKERFILE, encoding="utf-8")
    result = add_dockerfile(result, dockerfile, registry=default_registry(), limits=ScanLimits())
    settings = PolicySettings(
        today=date(2026, 1, 2), link_subject=built_from(report_path(dockerfile))
    )
    result = apply_policy(result, settings)
    return json.dumps(result_to_document(result)).encode("utf-8")


def _detail(client: TestClient, finding_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/findings/{finding_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(client: TestClient, project: str) -> dict[tuple[str, str], int]:
    """Finding ids by (rule id, location) in the project; a location names the line
    (``Deployment/shop/web (pod.yaml:12)``), which tells the two containers apart."""
    return {(f["rule_id"], f["location"]): f["id"] for f in findings(client, project=project)}


def _linked(client: TestClient, finding_id: int) -> dict[str, dict[str, Any]]:
    return {link["rule_id"]: link for link in _detail(client, finding_id)["same_root_cause"]}


def _one(ids: dict[tuple[str, str], int], rule_id: str, where: str = "") -> int:
    (found,) = [
        fid for (rule, location), fid in ids.items() if rule == rule_id and where in location
    ]
    return found


def run(client: TestClient, tmp_path: Path, *, project: str) -> None:
    upload(client, secloop_scan(tmp_path / "k8s", DEPLOYMENT), project=project, asset="cluster")
    upload(client, image_report(tmp_path / "image"), project=project, asset=IMAGE)
    ids = _ids(client, project)
    image_root = _one(ids, "SL-IMG-001")
    dockerfile_root = _one(ids, "SL-DF-002")
    web_root = _one(ids, "SL-K8S-009", "pod.yaml:12")  # container web
    web_uid0 = _one(ids, "SL-K8S-010", "pod.yaml:12")
    sidecar_root = _one(ids, "SL-K8S-009", "pod.yaml:13")  # container sidecar

    # secloop's own link, reported in the image scan: each side names the other
    linked = _linked(client, image_root)
    assert set(linked) == {"SL-DF-002", "SL-K8S-009", "SL-K8S-010"}
    assert linked["SL-DF-002"]["id"] == dockerfile_root
    assert linked["SL-DF-002"]["root_cause"] == "runs-as-root"
    assert "linked by secloop (SL-DF-002 at " in linked["SL-DF-002"]["reason"]
    assert (
        "linked by secloop (SL-IMG-001 at (image config))"
        in (_linked(client, dockerfile_root)["SL-IMG-001"]["reason"])
    )
    # across scans: the workload deploys the image, stored before the image scan
    web = _linked(client, web_root)
    assert set(web) == {"SL-IMG-001", "SL-DF-002"}  # not SL-K8S-010: the same family
    assert web["SL-IMG-001"]["reason"] == (f"the container runs as root; both concern {IMAGE}")
    assert web["SL-DF-002"]["asset"] == IMAGE
    assert set(_linked(client, web_uid0)) == {"SL-IMG-001", "SL-DF-002"}
    assert _linked(client, sidecar_root) == {}  # another image
    liveness = _one(ids, "SL-K8S-030", "pod.yaml:10")
    assert set(_linked(client, liveness)) == {"SL-IMG-008", "SL-DF-007"}

    # the same reports again: nothing is linked twice
    upload(client, image_report(tmp_path / "image"), project=project, asset=IMAGE)
    upload(client, secloop_scan(tmp_path / "k8s", DEPLOYMENT), project=project, asset="cluster")
    assert len(_detail(client, image_root)["same_root_cause"]) == 3
    assert len(_detail(client, web_root)["same_root_cause"]) == 2

    page = client.get(f"/findings/{web_root}")
    assert page.status_code == 200, page.text
    assert "Same root cause" in page.text
    assert f'href="/findings/{image_root}"' in page.text
    assert "both concern registry.test/web:1.2" in page.text

    # the workload now runs another image: its links through the old one are gone
    moved = DEPLOYMENT.replace(IMAGE, "registry.test/web:1.3")
    upload(client, secloop_scan(tmp_path / "k8s", moved), project=project, asset="cluster")
    assert _linked(client, web_root) == {}
    assert set(_linked(client, image_root)) == {"SL-DF-002"}  # secloop's own link stays
    assert set(_linked(client, dockerfile_root)) == {"SL-IMG-001"}
