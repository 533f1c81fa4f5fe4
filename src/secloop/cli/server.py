"""``secloop server``: run the findings server (extra ``server``).

Thin and light: uvicorn, FastAPI and SQLAlchemy are imported only when the command
runs, so ``import secloop.cli`` stays cheap (tests/unit/test_imports.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from secloop.core.errors import UsageError


@click.command("server")
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="TCP port [default: 8400].")
@click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db [default: SQLite file in "
    "the data directory].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (environment variables SECLOOP_SERVER_* override it).",
)
def server_command(
    host: str | None, port: int | None, database_url: str | None, config_file: Path | None
) -> None:
    """Run the findings server: ingest reports, correlate, track findings."""
    try:
        import uvicorn

        from secloop.server.app import create_app
        from secloop.server.settings import load_settings
    except ImportError as err:
        raise UsageError(
            f"the server needs the `server` extra (pip install 'secloop[server]'): {err.name}"
        ) from None
    overrides: dict[str, Any] = {
        key: value
        for key, value in (("host", host), ("port", port), ("database_url", database_url))
        if value is not None
    }
    settings = load_settings(config_file, **overrides)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
