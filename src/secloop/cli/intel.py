"""``secloop intel``: load CISA KEV and FIRST EPSS into the findings server's database.

The only network access of the server side, and only when the user runs
``secloop intel update``; ``--kev-file``/``--epss-file`` work offline. Heavy imports
(SQLAlchemy, httpx) happen inside the commands so ``import secloop.cli`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from secloop.core.errors import UsageError

_DB_OPTIONS = (
    click.option(
        "--database-url", default=None, help="SQLAlchemy URL [default: the server's database]."
    ),
    click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Server TOML settings file (SECLOOP_SERVER_* environment variables override it).",
    ),
)


def _with_db_options(func: Any) -> Any:
    for option in reversed(_DB_OPTIONS):
        func = option(func)
    return func


def _sessions(database_url: str | None, config_file: Path | None) -> Any:
    try:
        from secloop.server.settings import load_settings
        from secloop.server.storage.db import make_engine, session_factory, upgrade
    except ImportError as err:
        raise UsageError(
            f"intel needs the `server` extra (pip install 'secloop[server]'): {err.name}"
        ) from None
    overrides = {"database_url": database_url} if database_url else {}
    settings = load_settings(config_file, **overrides)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return session_factory(engine)


@click.group("intel")
def intel_group() -> None:
    """Threat intelligence for prioritising findings: CISA KEV and FIRST EPSS."""


@intel_group.command("update")
@click.option("--kev-url", default=None, help="KEV JSON catalogue URL [default: CISA's feed].")
@click.option("--epss-url", default=None, help="EPSS CSV (gzip) URL [default: the daily file].")
@click.option(
    "--kev-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Read KEV from a local file instead (offline).",
)  # fmt: skip
@click.option(
    "--epss-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Read EPSS from a local file (.csv or .csv.gz) instead (offline).",
)  # fmt: skip
@click.option("--kev/--no-kev", "want_kev", default=True, help="Load KEV [default: yes].")
@click.option("--epss/--no-epss", "want_epss", default=True, help="Load EPSS [default: yes].")
@_with_db_options
def update_command(
    *,
    kev_url: str | None,
    epss_url: str | None,
    kev_file: Path | None,
    epss_file: Path | None,
    want_kev: bool,
    want_epss: bool,
    database_url: str | None,
    config_file: Path | None,
) -> None:
    """Download KEV and EPSS, replace the stored copies, re-prioritise findings."""
    sessions = _sessions(database_url, config_file)
    from secloop.server.intel import DEFAULT_EPSS_URL, DEFAULT_KEV_URL, FeedSource, update

    kev = FeedSource(url=kev_url or DEFAULT_KEV_URL, file=kev_file) if want_kev else None
    epss = FeedSource(url=epss_url or DEFAULT_EPSS_URL, file=epss_file) if want_epss else None
    if kev is None and epss is None:
        raise UsageError("nothing to update: both --no-kev and --no-epss were given")
    for done in update(sessions, kev=kev, epss=epss):
        as_of = done.as_of.isoformat() if done.as_of else "unknown"
        click.echo(
            f"{done.feed}: {done.entries} entries (as of {as_of}; {done.skipped} skipped) "
            f"from {done.source}; {done.reprioritised} findings re-prioritised"
        )


@intel_group.command("status")
@_with_db_options
def status_command(database_url: str | None, config_file: Path | None) -> None:
    """Show which KEV and EPSS copies are loaded, and as of when."""
    sessions = _sessions(database_url, config_file)
    from secloop.server.storage.intel_store import feed_status

    with sessions() as session:
        feeds = feed_status(session)
    if not feeds:
        click.echo("no intelligence loaded; run `secloop intel update`")
    for feed in feeds:
        as_of = feed.as_of.isoformat() if feed.as_of else "unknown"
        click.echo(
            f"{feed.name}: {feed.entries} entries, as of {as_of}, "
            f"fetched {feed.fetched_at.isoformat(timespec='seconds')} from {feed.source}"
        )
