"""The read paths tuned for a million findings (migration 0004) still answer exactly."""

from __future__ import annotations

import json
from pathlib import Path

from secloop.intel.feeds import FeedSource
from secloop.server.intel import update
from secloop.server.storage import metrics
from secloop.server.storage.db import transaction
from tests.unit.server.conftest import findings, make_client, upload
from tests.unit.server.reports import trivy_vulns
from tests.unit.server.test_intel import KEV


def test_severity_order_is_newest_first_within_a_severity(tmp_path: Path) -> None:
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(("CVE-1", "a", "1"), ("CVE-2", "b", "1"), ("CVE-3", "c", "1")))
        ids = [f["id"] for f in findings(client)]  # all HIGH (trivy_vulns)
        assert ids == sorted(ids, reverse=True)
        page = client.get("/api/v1/findings", params={"per_page": 2, "page": 2}).json()
        assert (page["total"], [f["id"] for f in page["items"]]) == (3, ids[2:])


def test_kev_filter_both_ways_and_tool_filter(tmp_path: Path) -> None:
    kev_file = tmp_path / "kev.json"
    kev_file.write_text(json.dumps(KEV), encoding="utf-8")
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(("CVE-2021-44228", "log4j", "2.14.0"), ("CVE-9", "x", "1")))
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        update(sessions, kev=FeedSource(file=kev_file), epss=None)
        assert [f["cve_id"] for f in findings(client, kev="true")] == ["CVE-2021-44228"]
        assert [f["cve_id"] for f in findings(client, kev="false")] == ["CVE-9"]
        assert len(findings(client, tool="trivy")) == 2
        assert findings(client, tool="grype") == []


def test_debt_trend_over_all_projects_equals_the_sum_per_project(tmp_path: Path) -> None:
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(("CVE-1", "a", "1"), ("CVE-2", "b", "1")), project="p")
        upload(client, trivy_vulns(("CVE-3", "c", "1")), project="q")
        upload(client, trivy_vulns(("CVE-1", "a", "1")), project="p")  # fixes CVE-2
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        with transaction(sessions) as session:
            everything = metrics.debt_trend(session)
            per_project = [metrics.debt_trend(session, name) for name in ("p", "q")]
            visible = metrics.debt_trend(session, project_ids=frozenset({1, 2}))
        assert everything[-1].open == 2
        assert sum(points[-1].open for points in per_project) == 2
        assert [(p.at, p.open) for p in visible] == [(p.at, p.open) for p in everything]


def test_project_and_asset_filters_by_name(tmp_path: Path) -> None:
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(("CVE-1", "a", "1")), project="p", asset="api")
        upload(client, trivy_vulns(("CVE-2", "b", "1")), project="q", asset="api")
        assert [f["cve_id"] for f in findings(client, project="p")] == ["CVE-1"]
        assert len(findings(client, asset="api")) == 2  # the name, in every project
        assert [f["cve_id"] for f in findings(client, project="q", asset="api")] == ["CVE-2"]
        assert findings(client, asset="nowhere") == []
        missing = client.get("/api/v1/findings", params={"project": "nope"})
        assert missing.status_code == 404  # local mode sees every project: no such project
