"""Settings precedence, the ``server`` command and the upload helper."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from secloop.cli.server import server_command
from secloop.cli.upload import UploadError, upload_report
from secloop.core.errors import ConfigError
from secloop.server.settings import SETTINGS_FILE_ENV, load_settings


def test_defaults_keep_a_sqlite_file_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'secloop' / 'secloop.db'}"
    assert settings.users_may_create_projects is False


def test_environment_overrides_file_and_arguments_override_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "server.toml"
    config.write_text('port = 7000\nhost = "192.0.2.1"\nusers_may_create_projects = true\n')
    monkeypatch.setenv(SETTINGS_FILE_ENV, str(config))
    monkeypatch.setenv("SECLOOP_SERVER_PORT", "9000")
    settings = load_settings()
    assert (settings.port, settings.host) == (9000, "192.0.2.1")
    assert settings.users_may_create_projects is True
    assert load_settings(port=1234).port == 1234


def test_the_removed_api_token_setting_says_what_to_do_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "server.toml"
    config.write_text('api_token = "old"\n')
    with pytest.raises(ConfigError, match=r"api_token.*in .*server.toml.*token create"):
        load_settings(config)
    monkeypatch.setenv("SECLOOP_SERVER_API_TOKEN", "old")
    with pytest.raises(ConfigError, match="environment variable SECLOOP_SERVER_API_TOKEN"):
        load_settings()


def test_bad_settings_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = [")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("colour = 1")
    with pytest.raises(ConfigError, match="colour"):
        load_settings(unknown)
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml")


def test_server_command_help() -> None:
    result = CliRunner().invoke(server_command, ["--help"])
    assert result.exit_code == 0
    assert "--database-url" in result.output
    assert "--insecure-no-auth" in result.output
    for sub in ("run", "user", "token", "member"):
        assert sub in result.output


def test_upload_posts_a_multipart_secloop_report() -> None:
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["auth"] = request.headers.get("authorization")
        seen["body"] = request.content
        body = {"id": 7, "status": "done", "counts": {"total": 1}, "status_url": "/api/v1/scans/7"}
        return httpx.Response(201, json=body)

    result = upload_report(
        '{"schema_version": "1"}',
        url="http://server:8400/",
        project="shop",
        asset="repo",
        token="t0k",
        transport=httpx.MockTransport(handler),
    )
    assert (result.scan_id, result.url) == (7, "http://server:8400/api/v1/scans/7")
    assert seen["url"] == "http://server:8400/api/v1/scans"
    assert seen["auth"] == "Bearer t0k"
    body = seen["body"]
    assert isinstance(body, bytes)
    assert b'name="project"' in body
    assert b"shop" in body


def test_upload_errors_name_the_server_and_reason() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": "secloop.json: broken"})

    with pytest.raises(UploadError, match=r"HTTP 422\): secloop.json: broken"):
        upload_report("{}", url="http://s", project="p", transport=httpx.MockTransport(refuse))

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(UploadError, match="cannot upload to http://s/api/v1/scans"):
        upload_report("{}", url="http://s", project="p", transport=httpx.MockTransport(down))
    assert json.dumps({}) == "{}"


@pytest.mark.parametrize(
    ("status", "hint"), [(401, "secloop server token create"), (403, "`write` scope")]
)
def test_refused_uploads_say_how_to_get_access(status: int, hint: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "no"})

    with pytest.raises(UploadError, match=rf"HTTP {status}\): no \(.*{hint}"):
        upload_report("{}", url="http://s", project="p", transport=httpx.MockTransport(refuse))
