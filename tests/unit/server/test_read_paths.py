"""The read paths tuned for a million findings (migrations 0004, 0005) still answer exactly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from secloop.core.severity import Severity
from secloop.intel.feeds import FeedSource
from secloop.server.intel import update
from secloop.server.lifecycle import ACTIVE, Status
from secloop.server.storage import metrics, repository
from secloop.server.storage.db import make_engine, migrations_path, transaction, upgrade
from secloop.server.storage.models import FindingRow, ProjectRow
from secloop.server.storage.repository import FindingFilter, FindingSort
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


def _naive_overview(
    session: Session, today: date, project_ids: frozenset[int] | None
) -> list[tuple[str, dict[Severity, int], int, int]]:
    """The overview counted row by row in Python: what the grouped query must equal."""
    active = {s.value for s in ACTIVE}
    projects = session.scalars(select(ProjectRow).order_by(ProjectRow.name)).all()
    result = []
    for project in projects:
        if project_ids is not None and project.id not in project_ids:
            continue
        rows = session.scalars(select(FindingRow).where(FindingRow.project_id == project.id)).all()
        open_rows = [r for r in rows if r.status in active]
        by_severity = dict.fromkeys(Severity, 0)
        for r in open_rows:
            by_severity[Severity(r.severity)] += 1
        overdue = sum(1 for r in open_rows if r.due_date is not None and r.due_date < today)
        result.append((project.name, by_severity, overdue, sum(1 for r in open_rows if r.kev)))
    return result


def test_overview_counts_equal_a_row_by_row_count(tmp_path: Path) -> None:
    vulns = [(f"CVE-{i}", f"pkg{i}", "1") for i in range(8)]
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(*vulns), project="p")
        upload(client, trivy_vulns(*vulns[:3]), project="q")
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        today = date(2026, 11, 29)
        with transaction(sessions) as session:
            session.add(ProjectRow(name="empty", created_at=datetime.now(UTC)))
            # Spread severity, status, KEV and due dates so every count differs.
            for i, row in enumerate(session.scalars(select(FindingRow).order_by(FindingRow.id))):
                row.severity = int(list(Severity)[i % len(Severity)])
                row.status = (Status.OPEN, Status.FIXED, Status.TRIAGED, Status.REOPENED)[i % 4]
                row.kev = i % 3 == 0
                row.due_date = today + timedelta(days=(i % 5) - 2) if i % 7 else None
        with transaction(sessions) as session:
            for project_ids in (None, frozenset({1}), frozenset({2, 3}), frozenset({99})):
                got = [
                    (p.name, p.open_by_severity, p.overdue, p.kev)
                    for p in metrics.overview(session, today, project_ids=project_ids)
                ]
                assert got == _naive_overview(session, today, project_ids)
            only_q = metrics.overview(session, today, "q")
            assert [p.name for p in only_q] == ["q"]
            naive_q = {name: counts for name, counts, *_ in _naive_overview(session, today, None)}
            assert only_q[0].open_total == sum(naive_q["q"].values()) > 0
            assert metrics.overview(session, today, "nope") == []
            assert any(p.overdue for p in metrics.overview(session, today))
            assert any(p.kev for p in metrics.overview(session, today))


def test_first_findings_is_the_listed_page_without_the_count(tmp_path: Path) -> None:
    vulns = [(f"CVE-{i}", f"pkg{i}", "1") for i in range(6)]
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(*vulns), project="p")
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        with transaction(sessions) as session:
            for sort in FindingSort:
                flt = FindingFilter(sort=sort, limit=4, offset=1)
                total, page = repository.list_findings(session, flt)
                assert total == 6
                assert [r.id for r in repository.first_findings(session, flt)] == [
                    r.id for r in page
                ]
            assert repository.first_findings(session, FindingFilter(project="nope")) == []
            assert repository.first_findings(session, FindingFilter(asset="nope")) == []
            assert len(repository.first_findings(session, FindingFilter(project="p"))) == 6


def test_priority_order_is_level_then_highest_score_then_id(tmp_path: Path) -> None:
    vulns = [(f"CVE-{i}", f"pkg{i}", "1") for i in range(6)]
    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(*vulns), project="p")
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        with transaction(sessions) as session:
            for i, row in enumerate(session.scalars(select(FindingRow).order_by(FindingRow.id))):
                row.priority_level = 1 + i % 2
                row.priority_score = 50 if i < 4 else 90
        ordered = [
            (int(f["priority_level"][1]), -f["priority"], f["id"])
            for f in findings(client, sort="priority")
        ]
        assert ordered == sorted(ordered)
        assert ordered[0][:2] == (1, -90)


_INDEXES_0005 = {
    "ix_findings_overview",
    "ix_findings_priority_status_due",
    "ix_findings_project_priority_order",
    "ix_findings_priority_order",
}


def test_revision_0005_adds_its_indexes_and_downgrades_cleanly(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    engine = make_engine(f"sqlite:///{tmp_path / 'i.db'}")
    upgrade(engine)

    def finding_indexes() -> set[str]:
        with engine.connect() as connection:
            return {str(i["name"]) for i in inspect(connection).get_indexes("findings")}

    # 0006 replaced the overdue index of 0005 (see test_list_paths)
    assert finding_indexes() >= _INDEXES_0005 - {"ix_findings_priority_status_due"}
    config = Config()
    config.set_main_option("script_location", migrations_path())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert not _INDEXES_0005 & finding_indexes()
    assert "ix_findings_severity_id" in finding_indexes()  # 0004's indexes stay
    upgrade(engine)
    assert finding_indexes() >= _INDEXES_0005 - {"ix_findings_priority_status_due"}
    engine.dispose()
