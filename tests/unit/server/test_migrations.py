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
