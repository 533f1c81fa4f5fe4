"""Root-cause links on the server (ADR 6): subjects, reasons, storage on SQLite."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from secloop.core.finding import Finding, FindingKind, RelatedFinding
from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.server.correlate import PeerIndex
from secloop.server.ingest.interface import ImportedReport, ImportFormat
from secloop.server.links import image_subject, report_links, subject_keys
from tests.unit.server import root_cause_scenario


def test_root_cause_links_through_the_api_on_sqlite(client: TestClient, tmp_path: Path) -> None:
    root_cause_scenario.run(client, tmp_path, project="shop")


def test_image_references_compare_in_canonical_form() -> None:
    assert image_subject("nginx") == "image:docker.io/library/nginx:latest"
    assert image_subject("docker.io/library/nginx:latest") == image_subject("nginx")
    assert image_subject("index.docker.io/acme/web:1") == "image:docker.io/acme/web:1"
    assert image_subject("ghcr.io/acme/web@sha256:" + "a" * 64) == (
        "image:ghcr.io/acme/web@sha256:" + "a" * 64
    )
    assert image_subject("localhost:5000/web") == "image:localhost:5000/web:latest"
    assert image_subject("not an image") is None
    assert image_subject("") is None


def _finding(rule_id: str, scanner: str, **extra: object) -> Finding:
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule_id,
        severity=Severity.MEDIUM,
        title=rule_id,
        message=rule_id,
        scanner=scanner,
        fingerprint=rule_id,
        **extra,  # type: ignore[arg-type]
    )


def test_peer_rule_ids_map_to_the_secloop_rule_cause() -> None:
    peers = PeerIndex.from_registry()
    assert peers.root_causes("secloop", "SL-IMG-001") == [(RootCause.RUNS_AS_ROOT, "image")]
    # Checkov's CKV_K8S_23 is SL-K8S-009's peer: a Checkov finding gets its cause
    assert peers.root_causes("checkov", "CKV_K8S_23") == [(RootCause.RUNS_AS_ROOT, "kubernetes")]
    assert peers.root_causes("checkov", "CKV_K8S_16") == []  # privileged: no shared cause
    assert peers.root_causes("trivy", "DS002") == [
        (RootCause.RUNS_AS_ROOT, "dockerfile"),
        (RootCause.RUNS_AS_ROOT, "image"),
    ]


def test_subjects_of_a_report() -> None:
    peers = PeerIndex.from_registry()
    image = _finding(
        "SL-IMG-001",
        "image-config",
        related=(
            RelatedFinding(
                fingerprint="SL-DF-002",
                rule_id="SL-DF-002",
                location="D:1",
                root_cause=RootCause.RUNS_AS_ROOT,
            ),
        ),
    )
    dockerfile = _finding(
        "SL-DF-002",
        "dockerfile",
        related=(RelatedFinding(fingerprint="SL-IMG-001", rule_id="SL-IMG-001",
                                location="(image config)", root_cause=RootCause.RUNS_AS_ROOT),),
    )  # fmt: skip
    unrelated_dockerfile = _finding("SL-DF-001", "dockerfile")
    report = ImportedReport(
        format=ImportFormat.SECLOOP,
        tool="secloop",
        target="ghcr.io/acme/web:1.2",
        findings=(image, dockerfile, unrelated_dockerfile),
    )
    keys = {(k.index, k.subject, k.root_cause, k.family) for k in subject_keys(report, peers)}
    subject = "image:ghcr.io/acme/web:1.2"
    assert keys == {
        (0, subject, RootCause.RUNS_AS_ROOT, "image"),
        (1, subject, RootCause.RUNS_AS_ROOT, "dockerfile"),  # through secloop's link
    }
    assert [(link.source, link.target) for link in report_links(report)] == [(0, 1), (1, 0)]


def test_workload_findings_are_about_their_container_image() -> None:
    peers = PeerIndex.from_registry()
    report = ImportedReport(
        format=ImportFormat.SECLOOP,
        tool="secloop",
        target="deploy/",
        findings=(
            _finding("SL-K8S-009", "kubernetes", image="nginx"),
            _finding("SL-K8S-002", "kubernetes", image="nginx"),  # no cause
            _finding("SL-K8S-010", "kubernetes"),  # no image known
        ),
    )
    keys = [(k.index, k.subject, k.family) for k in subject_keys(report, peers)]
    assert keys == [(0, "image:docker.io/library/nginx:latest", "kubernetes")]
