"""``secloop intel``: load CISA KEV and FIRST EPSS for prioritising and gating.

By default the feeds go to the local intelligence cache that ``secloop scan
--fail-on-kev/--epss-above`` and the reports read (``--cache``, else
``$SECLOOP_INTEL_CACHE``, else ``$XDG_CACHE_HOME/secloop/intel.sqlite``); with
``--server`` (implied by ``--database-url`` or ``--config``) they go to the findings
server's database instead and re-prioritise its findings. The only network access,
and only when the user runs ``secloop intel update``; ``--kev-file``/``--epss-file``
work offline. Heavy imports (SQLAlchemy, httpx) happen inside the commands so
``import secloop.cli`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from secloop.core.errors import UsageError

_DB_OPTIONS = (
    click.option(
        "--cache",
        "cache_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Local intelligence cache  [default: $SECLOOP_INTEL_CACHE, else "
        "$XDG_CACHE_HOME/secloop/intel.sqlite].",
    ),
    click.option(
        "--server",
        "to_server",
        is_flag=True,
        help="Use the findings server's database instead of the local cache "
        "(implied by --database-url and --config).",
    ),
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


def _local_cache(cache_path: Path | None) -> Any:
    from secloop.intel.cache import IntelCache, default_cache_path

    return IntelCache(cache_path or default_cache_path())


def _wants_server(to_server: bool, database_url: str | None, config_file: Path | None) -> bool:
    return to_server or database_url is not None or config_file is not None


def _as_of(moment: Any) -> str:
    return str(moment.isoformat()) if moment else "unknown"


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
    cache_path: Path | None,
    to_server: bool,
    database_url: str | None,
    config_file: Path | None,
) -> None:
    """Download (or read) KEV and EPSS and replace the stored copies: the local cache
    the CLI gate reads, or with --server the server's database (re-prioritising)."""
    from secloop.intel.feeds import DEFAULT_EPSS_URL, DEFAULT_KEV_URL, FeedSource

    kev = FeedSource(url=kev_url or DEFAULT_KEV_URL, file=kev_file) if want_kev else None
    epss = FeedSource(url=epss_url or DEFAULT_EPSS_URL, file=epss_file) if want_epss else None
    if kev is None and epss is None:
        raise UsageError("nothing to update: both --no-kev and --no-epss were given")
    if not _wants_server(to_server, database_url, config_file):
        _update_local(_local_cache(cache_path), kev, epss)
        return
    sessions = _sessions(database_url, config_file)
    from secloop.server.intel import update

    for done in update(sessions, kev=kev, epss=epss):
        as_of = done.as_of.isoformat() if done.as_of else "unknown"
        click.echo(
            f"{done.feed}: {done.entries} entries (as of {as_of}; {done.skipped} skipped) "
            f"from {done.source}; {done.reprioritised} findings re-prioritised"
        )


def _update_local(cache: Any, kev: Any, epss: Any) -> None:
    from secloop.intel.cache import update_cache

    for done in update_cache(cache, kev=kev, epss=epss):
        info = done.info
        click.echo(
            f"{info.name}: {info.entries} entries (as of {_as_of(info.as_of)}; "
            f"{done.skipped} skipped) from {info.source}; stored in {cache.path}"
        )


@intel_group.command("status")
@_with_db_options
def status_command(
    cache_path: Path | None, to_server: bool, database_url: str | None, config_file: Path | None
) -> None:
    """Show which KEV and EPSS copies are loaded, and as of when."""
    if not _wants_server(to_server, database_url, config_file):
        cache = _local_cache(cache_path)
        _print_status(cache.feeds(), f"in {cache.path}")
        return
    sessions = _sessions(database_url, config_file)
    from secloop.server.storage.intel_store import feed_status

    with sessions() as session:
        _print_status(feed_status(session), "in the server's database")


def _print_status(feeds: Any, where: str) -> None:
    if not feeds:
        click.echo(f"no intelligence loaded {where}; run `secloop intel update`")
    for feed in feeds:
        as_of = feed.as_of.isoformat() if feed.as_of else "unknown"
        click.echo(
            f"{feed.name}: {feed.entries} entries, as of {as_of}, "
            f"fetched {feed.fetched_at.isoformat(timespec='seconds')} from {feed.source}"
        )
