"""Cost of root-cause links at ingest (ADR 6), on SQLite and PostgreSQL.

A synthetic secloop workload report of ``--containers`` containers, each with three
root-cause findings (runs as root twice, no liveness probe) on one of ``--images``
images, then one secloop image report per image (runs as root, no health check, linked
to its Dockerfile's findings). Prints the CPU seconds of the whole ingest and of the
link step (``store_links``) alone, and the links stored: the link step's share is what
ADR 6 costs on top of issue 7's ingest path.

    .venv/bin/python -m bench.bench_root_cause_links
    .venv/bin/python -m bench.bench_root_cause_links --containers 20000 --no-postgres
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bench.bench_ingest import postgres_url, sqlite_url
from secloop.core.finding import Finding, FindingKind
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import KubernetesResource, Location
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.json_format import result_to_document
from secloop.policy.links import built_from, link_root_causes
from secloop.server.correlate import PeerIndex
from secloop.server.ingest import ImportFormat, ImportLimits
from secloop.server.service import Upload, run_ingest, start_scan
from secloop.server.storage import links
from secloop.server.storage.db import make_engine, session_factory, upgrade
from secloop.server.storage.models import FindingLinkRow

NOW = datetime(2026, 1, 1, tzinfo=UTC)
_RULES = PeerIndex.from_registry()


def _finding(rule_id: str, scanner: str, **extra: Any) -> Finding:
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule_id,
        severity=Severity.MEDIUM,
        title=rule_id,
        message="synthetic",
        scanner=scanner,
        **extra,
    )


def workload_report(containers: int, images: int) -> bytes:
    findings: list[Finding] = []
    for n in range(containers):
        resource = KubernetesResource(api_version="apps/v1", kind="Deployment", name=f"w{n}")
        where = Location(path=f"k8s/w{n}.yaml", start_line=10, resource=resource)
        image = f"registry.example.com/app{n % images}:1.0"
        for rule_id in ("SL-K8S-009", "SL-K8S-010", "SL-K8S-030"):
            findings.append(
                _finding(rule_id, "kubernetes", location=where, anchor=rule_id, image=image)
            )
    return _document(Target(TargetKind.DIRECTORY, "k8s"), findings)


def image_report(index: int, rules: dict[str, Any]) -> bytes:
    findings = assign_fingerprints(
        [
            _finding("SL-IMG-001", "image-config", location=Location(path="(image config)")),
            _finding("SL-IMG-008", "image-config", location=Location(path="(image config)")),
            _finding("SL-DF-002", "dockerfile", location=Location(path="Dockerfile", start_line=1)),
            _finding("SL-DF-007", "dockerfile", location=Location(path="Dockerfile", start_line=1)),
        ]
    )
    linked = link_root_causes(findings, rules, built_from("Dockerfile"))
    target = Target(TargetKind.REGISTRY_IMAGE, f"registry.example.com/app{index}:1.0")
    return _document(target, linked, rules)


def _document(target: Target, findings: list[Finding], rules: Any = None) -> bytes:
    result = ScanResult(
        target=target,
        started_at=NOW,
        finished_at=NOW,
        tool_version="bench",
        scanners=("kubernetes", "image-config", "dockerfile"),
        findings=tuple(assign_fingerprints(findings)),
        rules=rules or {},
    )
    return json.dumps(result_to_document(result)).encode("utf-8")


class _LinkTimer:
    """CPU seconds spent in ``store_links`` (wrapped for the bench only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inner: Callable[..., int] = links.store_links

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        started = time.process_time()
        try:
            return self._inner(*args, **kwargs)
        finally:
            self.seconds += time.process_time() - started


def run(backend: str, url: str, containers: int, images: int) -> None:
    from secloop.scan.registry import default_registry

    rules = {r.id: r for s in default_registry().scanners for r in s.rules()}
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    timer = _LinkTimer()
    links.store_links = timer
    reports = [("cluster", workload_report(containers, images))]
    reports += [(f"image{i}", image_report(i, rules)) for i in range(images)]
    cpu = time.process_time()
    for asset, data in reports:
        upload = Upload(
            data=data, source=asset, project="bench", asset=asset, asset_kind="image",
            fmt=ImportFormat.SECLOOP, full_scan=True, user="bench",
        )  # fmt: skip
        run_ingest(
            factory, start_scan(factory, upload), upload, peers=_RULES, limits=ImportLimits()
        )
    cpu = time.process_time() - cpu
    links.store_links = timer._inner
    with factory() as session:
        stored = session.scalar(select(func.count()).select_from(FindingLinkRow))
    engine.dispose()
    findings = containers * 3 + images * 4
    print(
        f"{backend:10} {findings:>7} findings, {len(reports):>4} reports: ingest cpu "
        f"{cpu:6.2f} s, link step cpu {timer.seconds:6.2f} s "
        f"({100 * timer.seconds / cpu:4.1f} %), {stored} link rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with sqlite_url() as url:
        run("sqlite", url, args.containers, args.images)
    if not args.no_postgres:
        with postgres_url() as url:
            run("postgresql", url, args.containers, args.images)


if __name__ == "__main__":
    main()
