"""Exposure graph cost: observe every manifest, then link them (issue 7, prioritisation).

Generates ``--apps`` applications over ``--namespaces`` namespaces, each a Deployment,
a ClusterIP Service and an Ingress (every fifth a LoadBalancer too), one file per app,
and measures in CPU time (``time.process_time``; the machine is shared):

1. parse + observe: what the kubernetes scanner adds per file (parsing is shared with
   the checks and measured apart, so the figure is observe alone);
2. link: :func:`exposures` over all observations, once per scan;
3. the whole ``secloop scan --scanners kubernetes`` of the directory, for scale;
4. with ``--ingest N``: the server's ingest (SQLite) of an N-finding image report into
   an asset that an internet-facing workload runs, against the same report into an
   image no workload runs (the cost of deriving and re-prioritising every finding).

Run from the project root::

    .venv/bin/python -m bench.bench_exposure --apps 5000 --namespaces 50
    .venv/bin/python -m bench.bench_exposure --apps 100 --ingest 100000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.bench_ingest import synthetic_report
from secloop.core.result import ScanResult
from secloop.output.json_format import result_to_document
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import Observation
from secloop.scan.misconfig.documents import parse_yaml
from secloop.scan.misconfig.kubernetes.exposure import exposures, observe
from secloop.scan.registry import default_registry
from secloop.server.correlate import PeerIndex
from secloop.server.ingest import ImportFormat, ImportLimits
from secloop.server.service import Upload, run_ingest, start_scan
from secloop.server.storage.db import make_engine, session_factory, upgrade

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: ns{ns}}}
spec:
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}, team: t{ns}}}}}
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app{i}:1.{i}
          ports: [{{name: http, containerPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: app{i}, namespace: ns{ns}}}
spec:
  type: {kind}
  selector: {{app: app{i}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: app{i}, namespace: ns{ns}}}
spec:
  rules:
    - host: app{i}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: app{i}, port: {{number: 80}}}}}}
"""


def write_apps(root: Path, apps: int, namespaces: int) -> list[str]:
    texts = []
    for i in range(apps):
        kind = "LoadBalancer" if i % 5 == 0 else "ClusterIP"
        text = APP.format(i=i, ns=i % namespaces, kind=kind)
        (root / f"app{i}.yaml").write_text(text, encoding="utf-8")
        texts.append(text)
    return texts


_PEERS = PeerIndex.from_registry()


def _ingest(factory: object, data: bytes, asset: str, fmt: ImportFormat) -> float:
    upload = Upload(
        data=data, source=asset, project="bench", asset=asset, asset_kind="image", fmt=fmt,
        full_scan=True, user="bench",
    )  # fmt: skip
    started = time.process_time()
    scan_id = start_scan(factory, upload)  # type: ignore[arg-type]
    run_ingest(factory, scan_id, upload, peers=_PEERS, limits=ImportLimits())  # type: ignore[arg-type]
    return time.process_time() - started


def measure_ingest(manifests: ScanResult, findings: int) -> None:
    """Step (4): the same image report into an exposed and an unexposed image asset."""
    report = synthetic_report(findings)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        factory = session_factory(engine)
        deploy = json.dumps(result_to_document(manifests)).encode("utf-8")
        _ingest(factory, deploy, "deploy", ImportFormat.SECLOOP)
        plain = _ingest(factory, report, "ghcr.io/acme/nobody:1", ImportFormat.SECLOOP)
        exposed = _ingest(factory, report, "ghcr.io/acme/app0:1.0", ImportFormat.SECLOOP)
        engine.dispose()
    print(f"ingest {findings} findings, image no workload runs   {plain:7.3f} s CPU (SQLite)")
    print(f"ingest {findings} findings, image of an internet app {exposed:7.3f} s CPU (SQLite)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--ingest", type=int, default=0, help="findings of the image report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        texts = write_apps(root, args.apps, args.namespaces)
        started = time.process_time()
        streams = [parse_yaml(t).documents for t in texts]
        parse_cpu = time.process_time() - started
        started = time.process_time()
        observations: list[Observation] = [o for s in streams if (o := observe(s)) is not None]
        observe_cpu = time.process_time() - started
        started = time.process_time()
        workloads = exposures(observations)
        link_cpu = time.process_time() - started
        started = time.process_time()
        result = run_scan(ScanRequest(spec=str(root), scanners=("kubernetes",)), default_registry())
        scan_cpu = time.process_time() - started
    internet = sum(1 for w in workloads if w.level.value == "internet")
    print(f"apps={args.apps} namespaces={args.namespaces} load={os.getloadavg()[0]:.2f}")
    print(f"parse (shared with checks)  {parse_cpu:7.3f} s CPU")
    print(f"observe                     {observe_cpu:7.3f} s CPU")
    print(
        f"link (exposures)            {link_cpu:7.3f} s CPU  -> {len(workloads)} workloads, "
        f"{internet} internet"
    )
    print(f"whole kubernetes scan       {scan_cpu:7.3f} s CPU  -> {len(result.findings)} findings")
    if args.ingest:
        measure_ingest(result, args.ingest)


if __name__ == "__main__":
    main()
