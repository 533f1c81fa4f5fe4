"""``secloop db``: manage the local vulnerability database.

``db update`` downloads OSV records from a bucket-layout mirror; ``db import PATH``
builds the database from a directory or zip of OSV JSON / PyPA
YAML records; ``db status`` says where it is, how many records it holds and how old
they are. The database path is ``--db``, else ``$SECLOOP_DB``, else the user cache.
Heavy modules are imported inside the commands so ``import secloop.cli`` stays light.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["db_group"]

_DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Database file.  [default: $SECLOOP_DB, else ~/.cache/secloop/db/vulndb.sqlite]",
)


@click.group("db")
def db_group() -> None:
    """Manage the local vulnerability database (OSV records)."""


@db_group.command("import")
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@_DB_OPTION
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def import_command(source: Path, db_path: Path | None, quiet: bool) -> None:
    """Build the database from SOURCE: a directory or zip of OSV JSON or PyPA YAML files.

    Records that break the schema are listed and skipped; withdrawn records are
    dropped. The new database replaces the old one only when it is complete.
    """
    from secloop.vulndb.importer import import_path

    outcome = import_path(source, db_path)
    for problem in outcome.problems:
        click.echo(f"skipped: {problem}", err=True)
    if not quiet:
        report = outcome.report
        as_of = report.as_of.isoformat() if report.as_of else "unknown"
        click.echo(
            f"imported {report.advisories} advisories for {report.package_keys} packages "
            f"into {report.path} (as of {as_of}; {report.withdrawn} withdrawn dropped, "
            f"{len(outcome.problems)} skipped) in {outcome.seconds:.2f}s"
        )


@db_group.command("status")
@_DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def status_command(db_path: Path | None, fmt: str) -> None:
    """Show the database's location, record counts and as-of time."""
    import json

    from secloop.vulndb.store import VulnerabilityStore, default_db_path

    with VulnerabilityStore(db_path or default_db_path()) as store:
        status = store.status()
    document = {
        "path": str(status.path),
        "as_of": status.as_of.isoformat() if status.as_of else None,
        "built_at": status.built_at.isoformat() if status.built_at else None,
        "source": status.source,
        "advisories": status.advisories,
        "ecosystems": dict(sorted(status.ecosystems.items())),
    }
    if fmt == "json":
        click.echo(json.dumps(document, indent=2))
        return
    for key in ("path", "as_of", "built_at", "source", "advisories"):
        click.echo(f"{key:<11} {document[key]}")
    for ecosystem, count in sorted(status.ecosystems.items()):
        click.echo(f"  {ecosystem:<20} {count}")


@db_group.command("update")
@_DB_OPTION
@click.option(
    "--base-url",
    metavar="URL",
    help="OSV bucket-layout mirror.  [default: $SECLOOP_DB_URL, else the public OSV bucket]",
)
@click.option(
    "--ecosystem",
    "ecosystems",
    multiple=True,
    metavar="NAME",
    help="OSV ecosystem to download (repeatable).  "
    "[default: PyPI, npm, Go, crates.io, RubyGems, Packagist, Maven, NuGet]",
)
@click.option("--full", is_flag=True, help="Download every all.zip even if an update would do.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def update_command(
    db_path: Path | None, base_url: str | None, ecosystems: tuple[str, ...], full: bool, quiet: bool
) -> None:
    """Download OSV records (per-ecosystem all.zip, then only what changed) and rebuild.

    This is the one command that uses the network. Downloads are size- and
    time-bounded and verified; the database is replaced only when all succeeded.
    """
    from secloop.vulndb.update import DEFAULT_ECOSYSTEMS, base_url_from, update_database

    outcome = update_database(
        db_path,
        base_url=base_url_from(base_url),
        ecosystems=ecosystems or DEFAULT_ECOSYSTEMS,
        force_full=full,
    )
    for problem in outcome.problems:
        click.echo(f"skipped: {problem}", err=True)
    if quiet:
        return
    modes = ", ".join(f"{e}: {m}" for e, m in outcome.modes.items())
    if outcome.report is None:
        click.echo(f"database unchanged ({modes}; {outcome.requests} requests)")
        return
    as_of = outcome.report.as_of.isoformat() if outcome.report.as_of else "unknown"
    click.echo(
        f"updated {outcome.report.path}: {outcome.report.advisories} advisories as of {as_of} "
        f"({modes}; {outcome.changed} records, {outcome.downloaded_bytes} bytes in "
        f"{outcome.requests} requests, {outcome.seconds:.2f}s)"
    )
