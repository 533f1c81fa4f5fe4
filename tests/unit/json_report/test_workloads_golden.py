"""The JSON report's ``workloads`` section: golden file, round trip, wire checks.

On an intended change, run ``python scripts/golden_exposure.py`` and review the diff.
"""

from __future__ import annotations

import json

import pytest
from scripts.golden_exposure import FIXTURE_DIR, GOLDEN_PATH, render

from secloop.core.errors import ReportError
from secloop.output.json_format import load_result, result_to_document
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry


def test_workloads_match_the_golden_file() -> None:
    assert render() == GOLDEN_PATH.read_text(encoding="utf-8"), (
        "exposure.workloads.json drifted: run python scripts/golden_exposure.py"
    )


def test_golden_covers_every_level() -> None:
    levels = {w["exposure"] for w in json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))}
    assert levels == {"internet", "node", "cluster", "none"}


def test_workloads_round_trip_through_the_wire_model() -> None:
    result = run_scan(
        ScanRequest(spec=str(FIXTURE_DIR), scanners=("kubernetes",)), default_registry()
    )
    text = json.dumps(result_to_document(result))
    assert load_result(text, source="r.json").workloads == result.workloads


def test_a_reachable_workload_without_paths_is_rejected_with_the_source_named() -> None:
    result = run_scan(
        ScanRequest(spec=str(FIXTURE_DIR), scanners=("kubernetes",)), default_registry()
    )
    document = result_to_document(result)
    document["workloads"][0]["paths"] = []
    with pytest.raises(ReportError, match=r"^r\.json: .*workloads\.0"):
        load_result(json.dumps(document), source="r.json")


def test_table_lists_workloads_reachable_from_outside_widest_first() -> None:
    from secloop.output.interface import ReportContext
    from secloop.output.table import TableFormatter

    result = run_scan(
        ScanRequest(spec=str(FIXTURE_DIR), scanners=("kubernetes",)), default_registry()
    )
    text = TableFormatter().render(result, ReportContext(width=300))
    section = text.split("Exposed workloads\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section == [
        "  internet  Deployment/shop/api: HTTPRoute shop/api (host api.example.com) → "
        "Service shop/api:80 → Deployment shop/api (+2 more)",
        "  internet  Deployment/shop/web: Ingress shop/web (host shop.example.com) → "
        "Service shop/web:80 → Deployment shop/web (+1 more)",
        "  node      DaemonSet/ops/shipper: "
        "hostPort 2020 (container shipper) on DaemonSet ops/shipper",
        "  not reachable from outside the cluster: 1 cluster, 1 none",
    ]


def test_html_report_lists_every_workload_with_its_paths() -> None:
    from secloop.output.html import HtmlFormatter
    from secloop.output.interface import ReportContext

    result = run_scan(
        ScanRequest(spec=str(FIXTURE_DIR), scanners=("kubernetes",)), default_registry()
    )
    html = HtmlFormatter().render(result, ReportContext())
    section = html.split("<h3>Workload exposure</h3>", 1)[1].split("</table>", 1)[0]
    assert section.count("<tr><td><code>") == len(result.workloads) == 5
    assert "HTTPRoute shop/api (host api.example.com) → Service shop/api:80" in section
    assert "<td>none</td><td>no Service or route</td>" in section
