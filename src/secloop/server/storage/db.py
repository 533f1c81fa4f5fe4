"""Engine, sessions and schema migration (Alembic ``upgrade head``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from secloop.server.errors import ServerError

if TYPE_CHECKING:
    from alembic.config import Config

SessionFactory = sessionmaker[Session]


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run during an ingest.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their directory, pragmas and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrations_path() -> str:
    return str(resources.files("secloop.server") / "migrations")


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; run by ``create_app`` at start-up."""
    from alembic import command

    _migrate(engine, command.upgrade, "head")


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (operators rolling back a release; tests)."""
    from alembic import command

    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, action: Callable[[Config, str], None], revision: str) -> None:
    """Run an Alembic command in one transaction on ``engine``.

    On SQLite, dropping or altering a column rebuilds the table (copy, drop, rename):
    with foreign keys enforced, dropping ``findings`` would cascade-delete every row
    that references it. Enforcement is switched off for the migration (the pragma is
    ignored inside a transaction, so before it starts) and the references are checked
    before committing: a migration that broke one fails and is rolled back.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", migrations_path())
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                action(config, revision)
                if sqlite:
                    _check_references(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise ServerError(
            f"schema migration left {len(broken)} broken references in {', '.join(tables)}"
        )


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with factory() as session, session.begin():
        yield session
