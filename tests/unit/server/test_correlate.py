"""Correlation: one vulnerability under several ids, one misconfiguration from several tools."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.location import KubernetesResource, Location
from secloop.core.package import Package
from secloop.core.severity import Severity
from secloop.server.correlate import PeerIndex, correlation_keys
from tests.conftest import corpus_path
from tests.unit.server.conftest import findings, upload
from tests.unit.server.reports import (
    PRIVILEGED_POD,
    checkov_privileged,
    grype_ghsa,
    secloop_scan,
    trivy_vulns,
)


def test_same_vulnerability_as_cve_from_trivy_and_ghsa_from_grype_is_one_finding(
    client: TestClient,
) -> None:
    upload(client, trivy_vulns(("CVE-2021-44420", "Django", "3.2.9")), fmt="trivy")
    scan = upload(client, grype_ghsa("GHSA-v6rh-hp5x-86rv", "CVE-2021-44420", "django", "3.2.9"))
    assert scan["counts"] == {
        "total": 1, "new": 0, "merged": 1, "reopened": 0, "fixed": 0, "suppressed": 0,
    }  # fmt: skip
    (finding,) = findings(client)
    detail = client.get(f"/api/v1/findings/{finding['id']}").json()
    assert detail["tools"] == ["grype", "trivy"]
    grype = next(s for s in detail["sources"] if s["tool"] == "grype")
    assert grype["rule_id"] == "GHSA-v6rh-hp5x-86rv"
    assert grype["reason"] == "same advisory CVE-2021-44420 for django 3.2.9"
    assert detail["severity"] == "CRITICAL"  # the highest any tool reported


def test_different_package_versions_stay_apart(client: TestClient) -> None:
    upload(client, trivy_vulns(("CVE-2021-44420", "django", "3.2.9")), fmt="trivy")
    upload(client, grype_ghsa("GHSA-v6rh-hp5x-86rv", "CVE-2021-44420", "django", "3.2.8"))
    assert len(findings(client)) == 2


def test_same_vulnerability_in_two_assets_stays_two_findings(client: TestClient) -> None:
    report = trivy_vulns(("CVE-2021-44420", "django", "3.2.9"))
    upload(client, report, asset="service-a", fmt="trivy")
    upload(client, report, asset="service-b", fmt="trivy")
    assert len(findings(client)) == 2
    assert len(findings(client, asset="service-a")) == 1


def test_osv_scanner_ghsa_and_pysec_twins_merge(client: TestClient) -> None:
    sample = corpus_path("defectdojo-scan-samples", "osv_scanner", "many_findings.json")
    scan = upload(client, sample.read_bytes(), fmt="osv-scanner")
    assert scan["counts"]["total"] == 66
    assert scan["counts"]["merged"] > 0
    assert len(findings(client)) == scan["counts"]["new"] < 66


def test_checkov_and_secloop_privileged_container_is_one_finding(
    client: TestClient, tmp_path: Path
) -> None:
    upload(client, secloop_scan(tmp_path / "repo", PRIVILEGED_POD), fmt="secloop")
    before = {f["rule_id"] for f in findings(client)}
    assert "SL-K8S-001" in before
    scan = upload(client, checkov_privileged(), fmt="checkov")
    assert scan["counts"]["merged"] == 1
    merged = [f for f in findings(client) if f["rule_id"] == "SL-K8S-001"]
    assert len(merged) == 1
    assert len(findings(client)) == len(before)
    detail = client.get(f"/api/v1/findings/{merged[0]['id']}").json()
    assert detail["tools"] == ["checkov", "secloop"]
    checkov = next(s for s in detail["sources"] if s["tool"] == "checkov")
    assert checkov["rule_id"] == "CKV_K8S_16"
    assert checkov["reason"] == "checkov CKV_K8S_16 is secloop SL-K8S-001 (rule peers)"


def test_peer_index_reads_the_registered_rules() -> None:
    peers = PeerIndex.from_registry()
    assert ("SL-K8S-001", "kubescape C-0057 is secloop SL-K8S-001 (rule peers)") in peers.canonical(
        "kubescape", "C-0057"
    )
    assert peers.canonical("trivy", "KSV017")[0][0] == "SL-K8S-001"
    assert peers.canonical("checkov", "CKV_NOPE") == []


def _vuln(advisory: str, aliases: tuple[str, ...], resource: KubernetesResource | None) -> Finding:
    package = Package.create(name="Flask_Login", version="0.6.0", ecosystem="PyPI")
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=advisory,
        severity=Severity.HIGH,
        title=advisory,
        message="",
        scanner="test",
        location=Location(resource=resource),
        package=package,
        vulnerability=VulnerabilityDetail(
            advisory_id=advisory, aliases=aliases, installed_version="0.6.0"
        ),
    )


def test_vulnerability_keys_normalise_names_and_keep_workloads() -> None:
    peers = PeerIndex(())
    keys = correlation_keys(_vuln("PYSEC-1", ("cve-2020-1",), None), "osv-scanner", peers)
    assert [k.value for k in keys] == [
        "vuln:PYSEC-1|flask-login|0.6.0",
        "vuln:CVE-2020-1|flask-login|0.6.0",
    ]
    web = KubernetesResource(api_version="apps/v1", kind="Deployment", name="web", namespace="prod")
    (key,) = correlation_keys(_vuln("CVE-2020-1", (), web), "trivy", peers)
    assert key.value.endswith("|Deployment/prod/web")
    assert not key.cross_tool_only
