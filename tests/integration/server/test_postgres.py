"""The API flow and concurrent ingest against a real PostgreSQL (127.0.0.1:5432).

A fresh database is created for the module and dropped afterwards. The test is
skipped, saying why, when no server answers; CI starts one (see .ci/run).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from secloop.server.app import create_app
from secloop.server.correlate import PeerIndex
from secloop.server.ingest import ImportFormat, ImportLimits
from secloop.server.service import Upload, run_ingest, start_scan
from secloop.server.settings import ServerSettings
from secloop.server.storage.db import make_engine, session_factory
from tests.unit.server.conftest import findings, upload
from tests.unit.server.reports import (
    PRIVILEGED_POD,
    checkov_privileged,
    grype_ghsa,
    secloop_scan,
    trivy_vulns,
)

pytestmark = pytest.mark.integration

ADMIN_URL = os.environ.get("SECLOOP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {err}".strip())


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    name = f"secloop_test_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def client(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("data"), database_url=database_url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_api_flow_on_postgresql(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/health").json()["database"] == "ok"
    two = trivy_vulns(("CVE-2021-44420", "django", "3.2.9"), ("CVE-2", "requests", "2.0.0"))
    first = upload(client, two, project="pg", fmt="trivy")
    assert first["counts"]["new"] == 2
    merged = upload(
        client, grype_ghsa("GHSA-v6rh-hp5x-86rv", "CVE-2021-44420", "django", "3.2.9"), project="pg"
    )
    assert merged["counts"]["merged"] == 1
    django = next(f for f in findings(client, project="pg") if f["rule_id"] == "CVE-2021-44420")
    assert client.get(f"/api/v1/findings/{django['id']}").json()["tools"] == ["grype", "trivy"]
    gone = upload(
        client, trivy_vulns(("CVE-2021-44420", "django", "3.2.9")), project="pg", fmt="trivy"
    )
    assert gone["counts"]["fixed"] == 1
    back = upload(client, two, project="pg", fmt="trivy")
    assert back["counts"]["reopened"] == 1
    patched = client.patch(
        f"/api/v1/findings/{django['id']}",
        json={"status": "risk_accepted", "justification": "internal only", "expires": "2999-01-01"},
    )
    assert patched.status_code == 200
    history = client.get(f"/api/v1/findings/{django['id']}/history").json()
    assert [h["new_status"] for h in history] == ["new", "risk_accepted"]
    upload(client, secloop_scan(tmp_path / "repo", PRIVILEGED_POD), project="pg", asset="k8s")
    peer = upload(client, checkov_privileged(), project="pg", asset="k8s", fmt="checkov")
    assert peer["counts"]["merged"] == 1
    bad = client.post(
        "/api/v1/scans", files={"file": ("x.json", b"{")}, data={"project": "pg", "format": "trivy"}
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/projects").json()[0]["name"] == "pg"


def test_concurrent_uploads_to_one_project_never_duplicate(database_url: str) -> None:
    engine = make_engine(database_url)
    factory = session_factory(engine)
    report = trivy_vulns(*((f"CVE-{n}", f"pkg{n}", "1.0") for n in range(50)))
    upload_ = Upload(
        data=report, source="r.json", project="race", asset="a", asset_kind="repository",
        fmt=ImportFormat.TRIVY, full_scan=True, user="t",
    )  # fmt: skip
    peers = PeerIndex(())

    def ingest(_: int) -> int:
        scan_id = start_scan(factory, upload_)
        return run_ingest(factory, scan_id, upload_, peers=peers, limits=ImportLimits()).new

    with ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(ingest, range(4)))
    assert sum(created) == 50
    with factory() as session:
        from sqlalchemy import func, select

        from secloop.server.storage.models import FindingRow, ProjectRow

        count = session.scalar(
            select(func.count(FindingRow.id))
            .join(ProjectRow, ProjectRow.id == FindingRow.project_id)
            .where(ProjectRow.name == "race")
        )
    assert count == 50
    engine.dispose()


def test_bulk_ingest_stores_what_the_core_path_stored_on_postgresql() -> None:
    """COPY path against the Core path, each on a fresh database (see test_bulk_ingest)."""
    from tests.unit.server.test_bulk_ingest import compare_on

    names: list[str] = []

    def fresh() -> str:
        name = f"secloop_bulk_{secrets.token_hex(4)}"
        with _admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        names.append(name)
        base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{name}"

    try:
        compare_on(fresh)
    finally:
        with _admin() as admin:
            for name in names:
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                admin.execute(drop.format(sql.Identifier(name)))


def test_access_migration_and_flow_on_postgresql(database_url: str) -> None:
    """Revision 0003 on PostgreSQL matches the models; users, tokens and roles work there."""
    from datetime import UTC, datetime, timedelta

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from secloop.server.access import Action, Role, Scope
    from secloop.server.storage import accounts, repository
    from secloop.server.storage.db import transaction, upgrade
    from secloop.server.storage.models import Base, compared_in_autogenerate

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_object": compared_in_autogenerate}
        context = MigrationContext.configure(connection, opts=opts)
        assert compare_metadata(context, Base.metadata) == []
    factory = session_factory(engine)
    now = datetime.now(UTC)
    with transaction(factory) as session:
        repository.get_or_create_project(session, "pg-access", now)
        user = accounts.create_user(session, "pg-maint", "a long enough password", now=now)
        issued = accounts.create_token(
            session, user, name="ci", scopes=frozenset({Scope.WRITE}), now=now,
            expires_at=now + timedelta(days=1),
        )  # fmt: skip
        accounts.set_member(session, "pg-access", "pg-maint", Role.MAINTAINER)
    with transaction(factory) as session:
        actor = accounts.token_principal(session, issued.secret, now=now)
        pg = accounts.project_id(session, "pg-access")
        assert actor.may(Action.WRITE, pg)
        assert not actor.may(Action.MANAGE, pg)
        for _ in range(accounts.FREE_FAILURES):
            accounts.login(session, "pg-maint", "wrong password", now=now)
    with transaction(factory) as session:
        locked = accounts.login(session, "pg-maint", "a long enough password", now=now)
        assert isinstance(locked, accounts.LoginRefused)
        assert locked.retry_after is not None
        session.delete(accounts.get_user(session, "pg-maint"))  # back to local mode for others
    engine.dispose()


def test_root_cause_links_on_postgresql(client: TestClient, tmp_path: Path) -> None:
    from tests.unit.server import root_cause_scenario

    root_cause_scenario.run(client, tmp_path, project="pg-root-cause")
