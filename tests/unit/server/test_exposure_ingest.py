"""Exposure derived from manifests, on SQLite: ingest, image linkage, re-ingest, manual override."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from secloop.core.exposure import Exposure as Reach
from secloop.core.severity import Severity
from secloop.scan.artifact.image.reference import identity_of
from secloop.server.priority import Derived, Exposure, Kev, PriorityInput, prioritise
from tests.unit.server import exposure_scenario
from tests.unit.server.conftest import findings, upload


def test_derived_exposure_through_the_api_on_sqlite(client: TestClient, tmp_path: Path) -> None:
    exposure_scenario.run(client, tmp_path, project="shop")


def test_exposed_workload_ranks_above_the_same_finding_unexposed() -> None:
    path = "Ingress shop/web (host a.example) → Service shop/web:80 → Deployment shop/web"
    ranks = [
        prioritise(PriorityInput(severity=Severity.HIGH, derived=Derived(level, path))).score
        for level in (Reach.INTERNET, Reach.NODE, Reach.CLUSTER, Reach.NONE)
    ]
    assert ranks == sorted(ranks, reverse=True)
    assert len(set(ranks)) == 4
    internet = prioritise(
        PriorityInput(severity=Severity.HIGH, derived=Derived(Reach.INTERNET, path))
    )
    assert f"reachable from the internet: {path}" in internet.explanation


def test_kev_on_an_internet_reachable_workload_is_p1() -> None:
    kev = Kev(added=date(2024, 1, 1), due=None)
    item = PriorityInput(severity=Severity.LOW, kev=kev, derived=Derived(Reach.INTERNET, "x"))
    assert prioritise(item).level == 1


def test_an_exposure_set_on_the_asset_wins_over_the_derived_one() -> None:
    derived = Derived(Reach.INTERNET, "Service shop/web:80 (LoadBalancer) → Deployment shop/web")
    manual = prioritise(
        PriorityInput(severity=Severity.HIGH, exposure=Exposure.ISOLATED, derived=derived)
    )
    assert manual.explanation.endswith("isolated → P" + str(manual.level) + f" ({manual.score})")
    unknown = prioritise(PriorityInput(severity=Severity.HIGH, derived=derived))
    assert unknown.score > manual.score


def test_long_paths_are_clipped_in_the_explanation() -> None:
    item = PriorityInput(severity=Severity.HIGH, derived=Derived(Reach.CLUSTER, "x" * 1000))
    assert len(prioritise(item).explanation) < 500


def test_image_references_compare_normalised() -> None:
    assert identity_of("nginx") == identity_of("docker.io/library/nginx:latest")
    assert identity_of("ghcr.io/acme/web:1.2") != identity_of("ghcr.io/acme/web:1.3")
    assert identity_of("not an image") is None


def test_a_partial_upload_keeps_the_workloads_a_complete_one_replaces_them(
    client: TestClient, tmp_path: Path
) -> None:
    scenario = exposure_scenario
    with_ingress = scenario.secloop_scan(tmp_path / "a", scenario.WEB + scenario.INGRESS)
    without = scenario.secloop_scan(tmp_path / "b", scenario.WEB)
    upload(client, with_ingress, project="p", asset="deploy")
    upload(client, without, project="p", asset="deploy", full_scan=False)
    web = scenario.privileged(findings(client, project="p"), "web")
    assert scenario.INTERNET_PATH in web["priority_explanation"]
    upload(client, without, project="p", asset="deploy")
    web = scenario.privileged(findings(client, project="p"), "web")
    assert "reachable inside the cluster" in web["priority_explanation"]
