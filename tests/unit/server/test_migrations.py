"""The Alembic migrations and the ORM models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from secloop.server.storage.db import make_engine, upgrade
from secloop.server.storage.models import Base


def test_upgrade_head_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables
    upgrade(engine)  # idempotent: already at head
    engine.dispose()


def test_revision_0003_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from secloop.server.storage.db import migrations_path

    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(engine)
    config = Config()
    config.set_main_option("script_location", migrations_path())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert not {"users", "api_tokens", "memberships", "login_throttle"} & tables
    upgrade(engine)
    with engine.connect() as connection:
        assert {"users", "api_tokens", "memberships", "login_throttle"} <= set(
            inspect(connection).get_table_names()
        )
    engine.dispose()


def test_a_table_rebuild_on_sqlite_keeps_the_rows_that_reference_it(tmp_path: Path) -> None:
    """Dropping a findings column rebuilds the table on SQLite: with foreign keys
    enforced that would cascade-delete every source, key and occurrence row."""
    from sqlalchemy import func, select, table

    from secloop.server.storage.db import downgrade
    from tests.unit.server.conftest import make_client, upload
    from tests.unit.server.reports import trivy_vulns

    with make_client(tmp_path) as client:
        upload(client, trivy_vulns(("CVE-2024-1", "p1", "1"), ("CVE-2024-2", "p2", "1")))
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    referencing = ("finding_sources", "finding_keys", "occurrences")

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {
                name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in ("findings", *referencing)
            }

    before = counts()
    assert all(before[name] > 0 for name in referencing), before
    downgrade(engine, "0005")  # 0008 and 0006 drop findings and finding_sources columns
    assert counts() == before
    upgrade(engine)
    assert counts() == before
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()
