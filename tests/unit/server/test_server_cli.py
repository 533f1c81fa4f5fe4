"""``secloop server user|token|member|run`` on a real SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from secloop.cli.server import server_command
from secloop.core.errors import ConfigError, Error
from secloop.server.app import create_app
from secloop.server.settings import ServerSettings
from tests.unit.server.conftest import PASSWORD, bearer, upload
from tests.unit.server.reports import trivy_vulns


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def _run(db_url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(server_command, [*args, "--database-url", db_url], input=stdin)


def _ok(db_url: str, *args: str, stdin: str | None = None) -> str:
    result = _run(db_url, *args, stdin=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_users_tokens_and_members_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path, database_url=db_url)
    with TestClient(create_app(settings)) as client:
        upload(client, trivy_vulns(("CVE-1", "django", "3.2.9")), project="shop")
        out = _ok(db_url, "user", "add", "root", "--admin", "--password-stdin", stdin=PASSWORD)
        assert out == "created user root (server admin)\n"
        _ok(db_url, "user", "add", "vi", "--display-name", "Vi Ewer", "--password-stdin",
            stdin=PASSWORD + "\n")  # fmt: skip
        listed = _ok(db_url, "user", "list").splitlines()
        assert listed[0].startswith("root\troot\tadmin\t")
        assert listed[1].startswith("vi\tVi Ewer\t-\t")
        assert client.get("/api/v1/projects").status_code == 401  # users exist: auth required

        created = CliRunner().invoke(
            server_command,
            ["token", "create", "--user", "vi", "--name", "ci", "--scope", "read",
             "--expires-days", "30", "--database-url", db_url],
        )  # fmt: skip
        assert created.exit_code == 0, created.output
        token = created.stdout.strip()
        assert token.startswith("slp_")
        assert "cannot be shown again" in created.stderr
        assert client.get("/api/v1/projects", headers=bearer(token)).json() == []

        assert _ok(db_url, "member", "add", "shop", "vi", "viewer") == "vi is viewer of shop\n"
        assert _ok(db_url, "member", "list", "shop") == "vi\tVi Ewer\tviewer\n"
        names = [p["name"] for p in client.get("/api/v1/projects", headers=bearer(token)).json()]
        assert names == ["shop"]

        (row,) = _ok(db_url, "token", "list", "--user", "vi").splitlines()
        token_id, user, name, hint, scopes, expires, used, state = row.split("\t")
        assert (user, name, hint, scopes, state) == ("vi", "ci", token[:10] + "…", "read", "active")
        assert expires != "-"
        assert used != "-"
        assert _ok(db_url, "token", "revoke", token_id) == f"revoked token {token_id}\n"
        assert _ok(db_url, "token", "list").split("\t")[-1] == "revoked\n"
        assert client.get("/api/v1/projects", headers=bearer(token)).status_code == 401

        assert _ok(db_url, "member", "remove", "shop", "vi").endswith(
            "no longer a member of shop\n"
        )
        assert _ok(db_url, "member", "list", "shop") == ""
        assert _ok(db_url, "user", "disable", "vi") == "disabled user vi\n"
        assert "disabled" in _ok(db_url, "user", "list").splitlines()[1]
        assert _ok(db_url, "user", "enable", "vi") == "enabled user vi\n"
        changed = _ok(db_url, "user", "password", "vi", "--password-stdin", stdin="a new password")
        assert changed == "changed the password of vi\n"


def test_cli_mistakes_are_secloop_errors(db_url: str) -> None:
    short = _run(db_url, "user", "add", "al", "--password-stdin", stdin="short")
    assert isinstance(short.exception, Error)
    assert short.exception.exit_code == 2  # the caller's mistake
    assert "at least 10 characters" in str(short.exception)
    missing = _run(db_url, "token", "create", "--user", "nobody", "--name", "x", "--scope", "read")
    assert isinstance(missing.exception, Error)
    assert "no user 'nobody'" in str(missing.exception)
    no_project = _run(db_url, "member", "add", "nowhere", "al", "viewer")
    assert "no project 'nowhere'" in str(no_project.exception)
    bad_role = _run(db_url, "member", "add", "p", "al", "owner")
    assert bad_role.exit_code == 2
    assert "'owner' is not one of" in bad_role.output


def test_the_password_prompt_asks_twice(db_url: str) -> None:
    result = _run(db_url, "user", "add", "pat", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1
    assert "Repeat for confirmation" in result.output


def test_run_refuses_an_open_server_beyond_loopback(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.append(kwargs))
    refused = _run(db_url, "--host", "0.0.0.0")  # noqa: S104
    assert isinstance(refused.exception, ConfigError)
    assert "--insecure-no-auth" in str(refused.exception)
    assert served == []
    insecure = _run(db_url, "run", "--host", "0.0.0.0", "--insecure-no-auth", "--port", "8999")  # noqa: S104
    assert insecure.exit_code == 0, insecure.output
    assert "no users yet" in insecure.output
    assert served == [{"host": "0.0.0.0", "port": 8999, "log_level": "info"}]  # noqa: S104
    _ok(db_url, "user", "add", "root", "--admin", "--password-stdin", stdin=PASSWORD)
    with_users = _run(db_url, "--host", "0.0.0.0")  # noqa: S104
    assert with_users.exit_code == 0, with_users.output
    assert len(served) == 2
    local = _run(db_url, "run")
    assert local.exit_code == 0
    assert served[-1]["host"] == "127.0.0.1"
