"""The findings list's overdue, text and tool filters (migration 0006) answer exactly.

Every test here runs on SQLite, and on PostgreSQL through
``tests/integration/server/test_postgres_list_paths.py``, which imports them with its
own ``database_url``. Expected answers are computed row by row in Python from the same
database, so rows other tests left behind in a shared database do not matter.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from secloop.server.app import create_app
from secloop.server.lifecycle import ACTIVE, Status
from secloop.server.settings import ServerSettings
from secloop.server.storage import repository
from secloop.server.storage.db import make_engine, migrations_path, transaction, upgrade
from secloop.server.storage.ingest_store import _search_text
from secloop.server.storage.models import (
    ACTIVE_PREDICATE,
    ACTIVE_STATUSES,
    FindingRow,
    FindingSearchRow,
    FindingSourceRow,
)
from secloop.server.storage.repository import FindingFilter, FindingSort
from tests.unit.server.conftest import upload
from tests.unit.server.reports import grype_ghsa, trivy_vulns

TODAY = date(2026, 11, 29)
STATUSES = tuple(Status)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'list.db'}"


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = ServerSettings(data_dir=tmp_path, database_url=database_url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _sessions(client: TestClient) -> Any:
    return client.app.state.secloop.sessions  # type: ignore[attr-defined]


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def _spread(session: Session, project: str) -> None:
    """Severity, status, priority and due date spread over the project's findings;
    priority follows severity (P1 findings are of the lowest severity) as in the
    benchmark, the case where walking the severity index finds overdue rows late."""
    project_id = repository.get_or_create_project(session, project, _now()).id
    rows = session.scalars(
        select(FindingRow).where(FindingRow.project_id == project_id).order_by(FindingRow.id)
    )
    for i, row in enumerate(rows):
        row.severity = i % 5
        row.priority_level = 1 + i % 5
        row.priority_score = (i * 37) % 100
        row.status = STATUSES[(i // 2) % len(STATUSES)].value
        row.due_date = None if i % 7 == 3 else TODAY + timedelta(days=(i % 9) - 5)


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


_ORDER: dict[FindingSort, Callable[[FindingRow], tuple[Any, ...]]] = {
    FindingSort.SEVERITY: lambda r: (-r.severity, -r.id),
    FindingSort.PRIORITY: lambda r: (r.priority_level, -r.priority_score, r.id),
    FindingSort.DUE: lambda r: (r.due_date is None, r.due_date or date.min, r.id),
    FindingSort.NEWEST: lambda r: (-r.first_seen_at.timestamp(), -r.id),
}


def _all_pages(session: Session, flt: FindingFilter) -> tuple[list[int], set[int]]:
    """Every page of ``flt`` in turn: the ids in order, and each page's total."""
    ids: list[int] = []
    totals: set[int] = set()
    offset = 0
    while True:
        total, rows = repository.list_findings(session, _with(flt, offset=offset))
        totals.add(total)
        ids += [r.id for r in rows]
        if len(rows) < flt.limit:
            return ids, totals
        offset += flt.limit


def _with(flt: FindingFilter, **changes: Any) -> FindingFilter:
    from dataclasses import replace

    return replace(flt, **changes)


def _migration_0006() -> Any:
    import importlib

    return importlib.import_module(
        "secloop.server.migrations.versions.0006_overdue_text_tool_indexes"
    )


def test_the_partial_indexes_of_migration_0006_still_cover_the_active_statuses() -> None:
    # The migration spells the predicate as it was written; the queries use the models'.
    assert ACTIVE_STATUSES == ("new", "open", "reopened", "triaged")
    assert _migration_0006().ACTIVE_PREDICATE == ACTIVE_PREDICATE


def test_overdue_pages_in_every_order_equal_a_row_by_row_filter(client: TestClient) -> None:
    project, other = _name("overdue"), _name("overdue-other")
    upload(client, trivy_vulns(*((f"CVE-{i}", f"pkg{i}", "1") for i in range(23))), project=project)
    upload(client, trivy_vulns(*((f"CVE-{i}", f"pkg{i}", "1") for i in range(9))), project=other)
    with transaction(_sessions(client)) as session:
        _spread(session, project)
        _spread(session, other)
    with transaction(_sessions(client)) as session:
        everything = list(session.scalars(select(FindingRow)))
        project_id = repository.get_or_create_project(session, project, _now()).id
        active = {s.value for s in ACTIVE}
        cases = [((), None), ((1, 2), None), ((1, 2), project), ((3,), project), ((), project)]
        for priority, name in cases:
            expected_rows = [
                r for r in everything
                if r.status in active and r.due_date is not None and r.due_date < TODAY
                and (not priority or r.priority_level in priority)
                and (name is None or r.project_id == project_id)
            ]  # fmt: skip
            assert expected_rows or priority == (3,)
            for sort in FindingSort:
                flt = FindingFilter(
                    project=name, priority=priority, overdue_on=TODAY, sort=sort, limit=4
                )
                ids, totals = _all_pages(session, flt)
                assert ids == [r.id for r in sorted(expected_rows, key=_ORDER[sort])], (sort, name)
                assert totals == {len(expected_rows)}
        late = repository.list_findings(session, FindingFilter(overdue_on=TODAY, offset=10_000))
        assert late[1] == []
        assert late[0] == sum(
            1 for r in everything if r.status in active and r.due_date and r.due_date < TODAY
        )


def test_text_search_matches_one_column_exactly(client: TestClient) -> None:
    project = _name("text")
    vulns = [
        ("CVE-2024-0001", "left_pad", "1.0"),
        ("CVE-2024-0002", "leftXpad", "1.0"),
        ("GHSA-aaaa-bbbb-cccc", "Requests", "2.0"),
        ("CVE-2024-1002", "100%-safe", "1.0"),
    ]
    upload(client, trivy_vulns(*vulns), project=project)
    with transaction(_sessions(client)) as session:
        rows = list(
            session.scalars(
                select(FindingRow).where(
                    FindingRow.project_id
                    == repository.get_or_create_project(session, project, _now()).id
                )
            )
        )
        columns = ("title", "rule_id", "location", "package", "cve_id")
        texts = (
            "left_pad",  # "_" is literal: not leftXpad
            "LEFT",  # either case
            "2024-000",
            "requests",  # the package, in another case
            "100%",  # "%" is literal
            "requirements.txt",  # the location
            "in left_pad\x1fCVE",  # would span title and rule id: no column has it
            "nowhere",
        )
        for needle in texts:
            expected = sorted(
                (r.id for r in rows
                 if any(needle.lower() in (getattr(r, c) or "").lower() for c in columns)),
                reverse=True,
            )  # fmt: skip
            total, found = repository.list_findings(
                session, FindingFilter(project=project, text=needle, limit=2)
            )
            ids, _ = _all_pages(session, FindingFilter(project=project, text=needle, limit=2))
            assert (total, sorted(ids, reverse=True)) == (len(expected), expected), needle
            assert len(found) == min(2, len(expected))
        assert len(_all_pages(session, FindingFilter(project=project, text="left"))[0]) == 2


def test_tool_filter_is_per_project_and_sources_carry_the_project(client: TestClient) -> None:
    project, other = _name("tools"), _name("tools-other")
    upload(client, trivy_vulns(("CVE-1", "a", "1"), ("CVE-2", "b", "1")), project=project)
    upload(client, grype_ghsa("GHSA-1111-2222-3333", "CVE-9", "c", "1.0"), project=project)
    upload(client, grype_ghsa("GHSA-4444-5555-6666", "CVE-8", "d", "1.0"), project=other)
    with transaction(_sessions(client)) as session:
        sources = session.execute(
            select(FindingSourceRow, FindingRow.project_id).join(
                FindingRow, FindingRow.id == FindingSourceRow.finding_id
            )
        ).all()
        assert sources
        assert all(s.project_id == p for s, p in sources)
        project_id = repository.get_or_create_project(session, project, _now()).id
        for tool in ("grype", "trivy", "bandit"):
            expected = sorted(
                {s.finding_id for s, p in sources if s.tool == tool and p == project_id},
                reverse=True,
            )
            ids, totals = _all_pages(session, FindingFilter(project=project, tool=tool, limit=1))
            assert (ids, totals) == (expected, {len(expected)}), tool
        everywhere = {s.finding_id for s, _ in sources if s.tool == "grype"}
        ids, _ = _all_pages(session, FindingFilter(tool="grype"))
        assert set(ids) == everywhere
        assert len(everywhere) >= 2


_INDEXES_0006 = {"ix_findings_active_due", "ix_findings_active_priority_severity"}
_AT = "2026-01-01 00:00:00"


def _rows_at_0005(connection: Any) -> None:
    """Two projects with a finding and two sources each, written with 0005's schema."""
    statements = (
        "INSERT INTO projects (id, name, created_at) VALUES (:p, :name, :at)",
        "INSERT INTO assets (id, project_id, name, kind, created_at)"
        " VALUES (:p, :p, :name, 'repository', :at)",
        "INSERT INTO findings (id, project_id, asset_id, kind, rule_id, title, message,"
        " severity, status, fingerprint, location, suppressed, first_seen_at, last_seen_at,"
        " last_scan_id, updated_at) VALUES (:f, :p, :p, 'vulnerability', :name, :name, 'm',"
        " 3, 'open', :name, 'x', :no, :at, :at, 1, :at)",
        "INSERT INTO finding_sources (finding_id, tool, scanner, rule_id, fingerprint, reason,"
        " present, last_scan_id) VALUES (:f, 'trivy', 'vuln', :name, :name, 'r', :yes, 1)",
        "INSERT INTO finding_sources (finding_id, tool, scanner, rule_id, fingerprint, reason,"
        " present, last_scan_id) VALUES (:f, 'grype', 'vuln', :name, :name, 'r', :yes, 1)",
    )
    for p in (1, 2):
        values = {"p": p, "f": 10 + p, "name": f"n{p}", "at": _AT, "no": False, "yes": True}
        for statement in statements:
            connection.execute(text(statement), values)


def test_revision_0006_fills_source_projects_and_downgrades(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    config = Config()
    config.set_main_option("script_location", migrations_path())

    def migrate(step: Callable[[Config, str], None], revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    def schema() -> tuple[set[str], set[str], set[str]]:
        with engine.connect() as connection:
            found = inspect(connection)
            return (
                {str(i["name"]) for i in found.get_indexes("findings")},
                {str(i["name"]) for i in found.get_indexes("finding_sources")},
                {c["name"] for c in found.get_columns("finding_sources")},
            )

    migrate(command.upgrade, "0005")
    with engine.begin() as connection:
        _rows_at_0005(connection)
    upgrade(engine)  # 0006 fills finding_sources.project_id from the findings
    with engine.connect() as connection:
        pairs = connection.execute(
            select(FindingSourceRow.finding_id, FindingSourceRow.project_id)
        ).all()
    assert sorted(pairs) == [(11, 1), (11, 1), (12, 2), (12, 2)]
    with engine.connect() as connection:
        texts = connection.execute(
            select(FindingSearchRow.finding_id, FindingSearchRow.text).order_by(
                FindingSearchRow.finding_id
            )
        ).all()
    # As the ingest writes it for new findings: the columns joined by the separator.
    assert [tuple(t) for t in texts] == [
        (10 + p, _search_text({"title": f"n{p}", "rule_id": f"n{p}", "location": "x",
                               "package": None, "cve_id": None}))
        for p in (1, 2)
    ]  # fmt: skip
    assert texts[0][1] == "n1\x1fn1\x1fx\x1f\x1f"
    findings_ix, sources_ix, columns = schema()
    assert findings_ix >= _INDEXES_0006
    assert "ix_findings_priority_status_due" not in findings_ix
    assert "ix_finding_sources_tool_project_finding" in sources_ix
    migrate(command.downgrade, "0005")
    findings_ix, sources_ix, columns = schema()
    assert not _INDEXES_0006 & findings_ix
    assert "project_id" not in columns
    assert "ix_findings_priority_status_due" in findings_ix
    assert "ix_finding_sources_tool_finding_id" in sources_ix
    upgrade(engine)
    assert schema()[0] >= _INDEXES_0006
    engine.dispose()


def test_a_slow_count_is_reused_and_a_fast_one_is_not(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secloop.server.storage.readcache import SlowReadCache

    project = _name("counts")
    upload(client, trivy_vulns(*((f"CVE-{i}", f"p{i}", "1") for i in range(3))), project=project)
    flt = FindingFilter(project=project, limit=1)
    with transaction(_sessions(client)) as session:
        assert repository.list_findings(session, flt)[0] == 3
    upload(client, trivy_vulns(*((f"CVE-{i}", f"p{i}", "1") for i in range(4))), project=project)
    with transaction(_sessions(client)) as session:
        assert repository.list_findings(session, flt)[0] == 4  # fast: counted again
        monkeypatch.setattr(repository, "count_cache", SlowReadCache(slow_seconds=0))
        assert repository.list_findings(session, flt)[0] == 4  # "slow": kept for reuse
    upload(client, trivy_vulns(*((f"CVE-{i}", f"p{i}", "1") for i in range(5))), project=project)
    with transaction(_sessions(client)) as session:
        assert repository.list_findings(session, flt)[0] == 4  # reused, a little stale
        assert repository.list_findings(session, _with(flt, limit=10))[0] == 5  # short page
