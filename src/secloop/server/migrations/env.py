"""Alembic environment: runs on the connection ``secloop.server.storage.db.upgrade`` passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from secloop.server.storage.models import Base, compared_in_autogenerate

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=compared_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as owned:
        _run(owned)


if context.is_offline_mode():
    raise SystemExit("secloop migrations run online only (secloop server runs them at start-up)")
run_migrations_online()
