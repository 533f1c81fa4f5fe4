"""Typed server settings: environment (``SECLOOP_SERVER_*``) over an optional TOML file.

Precedence, highest first: explicit arguments, environment variables, the settings
file (``--config`` or ``SECLOOP_SERVER_SETTINGS_FILE``), defaults. With nothing set
the server keeps a SQLite file in the data directory: nothing to install or run.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from secloop.core.errors import ConfigError
from secloop.server.ingest import ImportLimits

ENV_PREFIX = "SECLOOP_SERVER_"
SETTINGS_FILE_ENV = f"{ENV_PREFIX}SETTINGS_FILE"
MIB = 1024 * 1024


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/secloop``, else ``~/.local/share/secloop``."""
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "secloop"


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    api_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8400, ge=1, le=65535)
    max_upload_bytes: int = Field(default=200 * MIB, ge=1)
    async_threshold_bytes: int = Field(default=10 * MIB, ge=0)
    max_json_depth: int = Field(default=64, ge=4, le=1000)
    max_findings: int = Field(default=2_000_000, ge=1)
    # Signs dashboard session cookies. Unset: a random key per process (sessions end when the
    # server restarts, and several workers behind one address would not share them).
    session_secret: SecretStr | None = None
    session_hours: int = Field(default=12, ge=1, le=24 * 30)

    @model_validator(mode="after")
    def _default_database(self) -> ServerSettings:
        if not self.database_url:
            url = f"sqlite:///{self.data_dir / 'secloop.db'}"
            object.__setattr__(self, "database_url", url)
        return self

    @property
    def limits(self) -> ImportLimits:
        return ImportLimits(
            max_bytes=self.max_upload_bytes,
            max_depth=self.max_json_depth,
            max_findings=self.max_findings,
        )


def _file_values(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read server settings: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None


def load_settings(file: Path | None = None, **overrides: Any) -> ServerSettings:
    """Settings from ``overrides`` > environment > ``file`` > defaults."""
    from pydantic import ValidationError

    named = file or (
        Path(os.environ[SETTINGS_FILE_ENV]) if SETTINGS_FILE_ENV in os.environ else None
    )
    try:
        from_env = ServerSettings().model_dump(exclude_unset=True)
        values = {**(_file_values(named) if named else {}), **from_env, **overrides}
        return ServerSettings(**values)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(settings)"
        raise ConfigError(f"invalid server setting {where}: {first['msg']}") from None
