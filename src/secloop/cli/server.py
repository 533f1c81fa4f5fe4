"""``secloop server``: run the findings server and manage its users, tokens and members.

``secloop server`` alone (or ``secloop server run``) runs the server; ``user``,
``token`` and ``member`` act on the configured database directly, so that the first
admin can be created before the server is reachable. Thin and light: uvicorn,
FastAPI and SQLAlchemy are imported only when a command runs, so ``import
secloop.cli`` stays cheap (tests/unit/test_imports.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from secloop.core.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secloop.server.settings import ServerSettings

F = TypeVar("F", bound=Callable[..., Any])


def _database_options(func: F) -> F:
    """``--config`` and ``--database-url``, on the group and on every subcommand."""
    func = click.option(
        "--database-url",
        default=None,
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db [default: SQLite file "
        "in the data directory].",
    )(func)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="TOML settings file (environment variables SECLOOP_SERVER_* override it).",
    )(func)


def _run_options(func: F) -> F:
    func = click.option(
        "--insecure-no-auth",
        is_flag=True,
        default=False,
        help="Allow a server without users (open to anyone) on a non-loopback address.",
    )(func)
    func = click.option("--port", type=int, default=None, help="TCP port [default: 8400].")(func)
    return click.option(
        "--host", default=None, help="Interface to listen on [default: 127.0.0.1]."
    )(func)


def _import_server() -> None:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise UsageError(
            f"the server needs the `server` extra (pip install 'secloop[server]'): {err.name}"
        ) from None


def _settings(ctx: click.Context, **given: Any) -> ServerSettings:
    """Settings from the subcommand's options, else the group's, else file and environment."""
    _import_server()
    from secloop.server.settings import load_settings

    merged = {**(ctx.obj or {}), **{k: v for k, v in given.items() if v is not None}}
    config_file = merged.pop("config_file", None)
    return load_settings(config_file, **merged)


@contextmanager
def _database(
    ctx: click.Context, config_file: Path | None, database_url: str | None
) -> Iterator[Session]:
    """One transaction on the configured database, migrated to the newest schema first."""
    settings = _settings(ctx, config_file=config_file, database_url=database_url)
    with _session(settings) as session:
        yield session


@contextmanager
def _session(settings: ServerSettings) -> Iterator[Session]:
    from secloop.server.storage.db import make_engine, session_factory, transaction, upgrade

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with transaction(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


@click.group("server", invoke_without_command=True)
@_run_options
@_database_options
@click.pass_context
def server_command(
    ctx: click.Context,
    *,
    host: str | None,
    port: int | None,
    insecure_no_auth: bool,
    database_url: str | None,
    config_file: Path | None,
) -> None:
    """Run the findings server (`secloop server` = `secloop server run`), manage access."""
    ctx.obj = {
        key: value
        for key, value in (("config_file", config_file), ("database_url", database_url))
        if value is not None
    }
    if ctx.invoked_subcommand is None:
        _run(ctx, host=host, port=port, insecure_no_auth=insecure_no_auth)


@server_command.command("run")
@_run_options
@_database_options
@click.pass_context
def run_command(
    ctx: click.Context,
    *,
    host: str | None,
    port: int | None,
    insecure_no_auth: bool,
    database_url: str | None,
    config_file: Path | None,
) -> None:
    """Run the findings server: ingest reports, correlate, track findings."""
    _run(
        ctx, host=host, port=port, insecure_no_auth=insecure_no_auth,
        database_url=database_url, config_file=config_file,
    )  # fmt: skip


def _run(ctx: click.Context, *, insecure_no_auth: bool, **given: Any) -> None:
    settings = _settings(ctx, **given)
    import uvicorn

    from secloop.server.access import check_bind
    from secloop.server.app import create_app
    from secloop.server.storage import accounts

    with _session(settings) as session:  # before the app starts anything
        has_users = accounts.has_users(session)
    check_bind(settings.host, has_users=has_users, insecure_no_auth=insecure_no_auth)
    app = create_app(settings)
    if not has_users:
        click.echo(
            "secloop server: no users yet, so the server is open (local mode). "
            "Create an admin with `secloop server user add NAME --admin`.",
            err=True,
        )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


@server_command.command("worker")
@_database_options
@click.option(
    "--broker-url",
    default=None,
    help="Redis URL of the job broker, e.g. redis://127.0.0.1:6379/0 "
    "[default: the broker_url setting].",
)
@click.option(
    "--beat",
    is_flag=True,
    default=False,
    help="Also run the periodic jobs (intel refresh, re-scans, webhook checks); "
    "run one beat per deployment.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Jobs run at once (threads).",
)
@click.pass_context
def worker_command(
    ctx: click.Context,
    *,
    broker_url: str | None,
    beat: bool,
    concurrency: int,
    database_url: str | None,
    config_file: Path | None,
) -> None:
    """Run a Celery worker for background jobs: large imports, intel refresh, re-scans,
    webhook deliveries (extra `workers`)."""
    settings = _settings(
        ctx, broker_url=broker_url, database_url=database_url, config_file=config_file
    )
    if not settings.broker_url:
        raise UsageError(
            "a worker needs a broker: set SECLOOP_SERVER_BROKER_URL or --broker-url "
            "(e.g. redis://127.0.0.1:6379/0)"
        )
    try:
        import celery  # type: ignore[import-untyped]  # noqa: F401
        import redis  # noqa: F401
    except ImportError as err:
        raise UsageError(
            f"the worker needs the `workers` extra (pip install 'secloop[workers]'): {err.name}"
        ) from None
    from secloop.server.workers.celery_app import run_worker

    run_worker(settings, beat=beat, concurrency=concurrency)


# Users -------------------------------------------------------------------------------


@server_command.group("user")
def user_group() -> None:
    """Add, list and disable the server's users."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password)


@user_group.command("add")
@click.argument("username")
@click.option("--admin", is_flag=True, default=False, help="A server admin: every right.")
@click.option("--display-name", default="", help="The name shown in the dashboard.")
@click.option("--password-stdin", is_flag=True, default=False, help="Read the password from stdin.")
@_database_options
@click.pass_context
def user_add(
    ctx: click.Context,
    *,
    username: str,
    admin: bool,
    display_name: str,
    password_stdin: bool,
    database_url: str | None,
    config_file: Path | None,
) -> None:
    """Create a user (the first user ends the open local mode)."""
    password = _read_password(password_stdin)
    with _database(ctx, config_file, database_url) as session:
        from secloop.server.storage import accounts

        accounts.create_user(
            session, username, password, now=_now(), display_name=display_name, is_admin=admin
        )
    click.echo(f"created user {username}" + (" (server admin)" if admin else ""))


@user_group.command("list")
@_database_options
@click.pass_context
def user_list(ctx: click.Context, database_url: str | None, config_file: Path | None) -> None:
    """List users: name, display name, admin, active, created."""
    with _database(ctx, config_file, database_url) as session:
        from secloop.server.storage import accounts

        for user in accounts.list_users(session):
            flags = ",".join(
                name for name, on in (("admin", user.is_admin), ("disabled", not user.active)) if on
            )
            created = user.created_at.strftime("%Y-%m-%d")
            click.echo(f"{user.username}\t{user.display_name}\t{flags or '-'}\t{created}")


def _set_active(ctx: click.Context, username: str, active: bool, **db: Any) -> None:
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.storage import accounts

        accounts.set_active(session, username, active=active)
    click.echo(f"{'enabled' if active else 'disabled'} user {username}")


@user_group.command("disable")
@click.argument("username")
@_database_options
@click.pass_context
def user_disable(ctx: click.Context, /, username: str, **db: Any) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    _set_active(ctx, username, False, **db)


@user_group.command("enable")
@click.argument("username")
@_database_options
@click.pass_context
def user_enable(ctx: click.Context, /, username: str, **db: Any) -> None:
    """Enable a disabled user again."""
    _set_active(ctx, username, True, **db)


@user_group.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, default=False, help="Read the password from stdin.")
@_database_options
@click.pass_context
def user_password(ctx: click.Context, /, username: str, password_stdin: bool, **db: Any) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin)
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.storage import accounts

        accounts.set_password(session, username, password)
    click.echo(f"changed the password of {username}")


# Tokens ------------------------------------------------------------------------------


@server_command.group("token")
def token_group() -> None:
    """Create, list and revoke API tokens."""


@token_group.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. `ci`.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["read", "write", "admin"]),
    help="read; write (upload, triage, comment); admin (members, tokens). Repeatable.",
)
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None)
@_database_options
@click.pass_context
def token_create(
    ctx: click.Context,
    /,
    username: str,
    name: str,
    scopes: tuple[str, ...],
    expires_days: int | None,
    **db: Any,
) -> None:
    """Create a token and print it once: only its hash is stored."""
    now = _now()
    expires = now + timedelta(days=expires_days) if expires_days else None
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.access import parse_scopes
        from secloop.server.storage import accounts

        user = accounts.get_user(session, username)
        issued = accounts.create_token(
            session, user, name=name, scopes=parse_scopes(scopes), now=now, expires_at=expires
        )
        token_id = issued.row.id
    click.echo(issued.secret)
    click.echo(
        f"token {token_id} for {username}: store it now, it cannot be shown again "
        "(send it as SECLOOP_SERVER_TOKEN or `Authorization: Bearer`)",
        err=True,
    )


@token_group.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
@_database_options
@click.pass_context
def token_list(ctx: click.Context, /, username: str | None, **db: Any) -> None:
    """List tokens: id, user, name, hint, scopes, expiry, last use, state."""
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.storage import accounts

        user_id = accounts.get_user(session, username).id if username else None
        now = _now()
        for row, owner in accounts.list_tokens(session, user_id):
            state = "revoked" if row.revoked_at else "active"
            if row.revoked_at is None and row.expires_at and row.expires_at <= now:
                state = "expired"
            columns = (
                str(row.id), owner, row.name, f"{row.hint}…", row.scopes.replace(" ", ","),
                _day(row.expires_at), _day(row.last_used_at), state,
            )  # fmt: skip
            click.echo("\t".join(columns))


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


@token_group.command("revoke")
@click.argument("token_id", type=int)
@_database_options
@click.pass_context
def token_revoke(ctx: click.Context, /, token_id: int, **db: Any) -> None:
    """Revoke a token: requests with it are refused from now on."""
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.storage import accounts

        accounts.revoke_token(session, token_id, now=_now())
    click.echo(f"revoked token {token_id}")


# Members -----------------------------------------------------------------------------


@server_command.group("member")
def member_group() -> None:
    """Give users roles in projects (admin, maintainer, viewer)."""


@member_group.command("add")
@click.argument("project")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "maintainer", "viewer"]))
@_database_options
@click.pass_context
def member_add(ctx: click.Context, /, project: str, username: str, role: str, **db: Any) -> None:
    """Give USERNAME the ROLE in PROJECT (replacing the role they had)."""
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.access import Role
        from secloop.server.storage import accounts

        accounts.set_member(session, project, username, Role(role))
    click.echo(f"{username} is {role} of {project}")


@member_group.command("remove")
@click.argument("project")
@click.argument("username")
@_database_options
@click.pass_context
def member_remove(ctx: click.Context, /, project: str, username: str, **db: Any) -> None:
    """Take USERNAME's role in PROJECT away."""
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.storage import accounts

        accounts.remove_member(session, project, username)
    click.echo(f"{username} is no longer a member of {project}")


@member_group.command("list")
@click.argument("project")
@_database_options
@click.pass_context
def member_list(ctx: click.Context, /, project: str, **db: Any) -> None:
    """List PROJECT's members and their roles."""
    with _database(ctx, db["config_file"], db["database_url"]) as session:
        from secloop.server.storage import accounts

        for username, display, role in accounts.list_members(session, project):
            click.echo(f"{username}\t{display}\t{role.value}")
