"""The findings list's overdue, text and tool paths (migration 0006) on PostgreSQL.

The exactness tests of ``tests/unit/server/test_list_paths.py`` run again here on a
real PostgreSQL (127.0.0.1:5432, skipped with the reason when none answers); the tests
below check what only PostgreSQL has: the queries can use their indexes, and the
migration survives a role that may not create the pg_trgm extension.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from secloop.server.app import create_app
from secloop.server.settings import ServerSettings
from secloop.server.storage import repository
from secloop.server.storage.db import transaction
from secloop.server.storage.repository import FindingFilter, FindingSort
from tests.integration.server.test_postgres import ADMIN_URL, _admin
from tests.unit.server.conftest import upload
from tests.unit.server.reports import trivy_vulns
from tests.unit.server.test_list_paths import (
    test_overdue_pages_in_every_order_equal_a_row_by_row_filter,
    test_revision_0006_fills_source_projects_and_downgrades,
    test_text_search_matches_one_column_exactly,
    test_tool_filter_is_per_project_and_sources_carry_the_project,
)

pytestmark = pytest.mark.integration

__all__ = [
    "test_overdue_pages_in_every_order_equal_a_row_by_row_filter",
    "test_revision_0006_fills_source_projects_and_downgrades",
    "test_text_search_matches_one_column_exactly",
    "test_tool_filter_is_per_project_and_sources_carry_the_project",
]


def _new_database() -> str:
    name = f"secloop_test_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(name: str) -> None:
    with _admin() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _url(name: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    name = _new_database()
    try:
        yield _url(name)
    finally:
        _drop_database(name)


@pytest.fixture
def fresh_database_url() -> Iterator[str]:
    name = _new_database()
    try:
        yield _url(name)
    finally:
        _drop_database(name)


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = ServerSettings(data_dir=tmp_path, database_url=database_url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _plan(
    session: Session, flt: FindingFilter, *, bitmap_only: bool = False, no_sort: bool = False
) -> str:
    """PostgreSQL's plans for the list's queries with sequential scans (and with
    ``bitmap_only`` plain index scans, with ``no_sort`` sorting) priced out: an index
    that can serve the query shape then shows up however few rows the test has."""
    captured: list[tuple[str, object]] = []
    connection = session.connection()

    def capture(*args: object) -> None:
        captured.append((str(args[2]), args[3]))

    from sqlalchemy import event

    event.listen(connection, "before_cursor_execute", capture)
    try:
        repository.list_findings(session, flt)
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    if bitmap_only:
        connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    if no_sort:
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
    lines = []
    for statement, params in captured:
        result = connection.exec_driver_sql(f"EXPLAIN {statement}", params)  # type: ignore[arg-type]
        lines += [str(line) for (line,) in result]
    return "\n".join(lines)


def test_list_queries_can_use_their_indexes(client: TestClient) -> None:
    project = f"plans-{secrets.token_hex(3)}"
    upload(
        client, trivy_vulns(("CVE-2024-1", "left-pad", "1"), ("CVE-2", "b", "1")), project=project
    )
    sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
    with transaction(sessions) as session:
        due_plan = _plan(session, FindingFilter(overdue_on=date(2030, 1, 1), sort=FindingSort.DUE))
        tool_plan = _plan(session, FindingFilter(project=project, tool="trivy"))
    with transaction(sessions) as session:  # each level read in the page's order
        overdue = FindingFilter(priority=(1, 2), overdue_on=date(2030, 1, 1))
        overdue_plan = _plan(session, overdue, no_sort=True)
    with transaction(sessions) as session:
        text_plan = _plan(session, FindingFilter(text="left-pad"), bitmap_only=True)
    assert "ix_finding_search_trgm" in text_plan
    assert "ix_findings_active_priority_severity" in overdue_plan
    assert "ix_findings_active_due" in due_plan
    assert "ix_finding_sources_tool_project_finding" in tool_plan


def test_migration_without_the_right_to_create_pg_trgm(
    fresh_database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A role without CREATE on the database may not create pg_trgm (a trusted
    extension): the migration warns, skips the trigram index, and text search works."""
    name = fresh_database_url.rsplit("/", 1)[1]
    role = f"secloop_noext_{secrets.token_hex(3)}"
    admin_of_db = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_of_db, autocommit=True) as admin:
        admin.execute("DROP EXTENSION IF EXISTS pg_trgm")
        admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        admin.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(role)))
    # Logged in as the administrator, acting as the role from the start of the session
    # (``-c role=...``): every privilege check, CREATE EXTENSION's included, is the role's.
    as_role = f"{fresh_database_url}?options=-c%20role%3D{role}"
    try:
        settings = ServerSettings(data_dir=tmp_path, database_url=as_role)
        with caplog.at_level(logging.WARNING, logger="secloop.server.migrations"):
            app = create_app(settings)
        assert "CREATE EXTENSION pg_trgm was refused" in caplog.text
        assert "CREATE INDEX ix_finding_search_trgm" in caplog.text  # what to run instead
        with TestClient(app) as client:
            vulns = (("CVE-2024-1", "left-pad", "1"), ("CVE-2", "b", "1"))
            upload(client, trivy_vulns(*vulns), project="noext")
            found = client.get("/api/v1/findings", params={"q": "LEFT-pad"}).json()
            assert [f["package"] for f in found["items"]] == ["left-pad"]
            sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
            with transaction(sessions) as session:
                connection = session.connection()
                indexes = {str(i["name"]) for i in inspect(connection).get_indexes("findings")}
                version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
                assert version.scalar_one() >= "0006"
                owner = connection.exec_driver_sql("SELECT current_user").scalar_one()
        assert owner == role
        assert "ix_finding_search_trgm" not in indexes
        assert "ix_findings_active_due" in indexes
    finally:
        with psycopg.connect(admin_of_db, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        _drop_database(name)
        with _admin() as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
