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
from secloop.intel.feeds import DEFAULT_EPSS_URL, DEFAULT_KEV_URL
from secloop.server.ingest import ImportLimits
from secloop.server.webhooks.config import WebhookTarget

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
    # Without it only server admins may upload to a project that does not exist yet.
    users_may_create_projects: bool = False
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

    # Jobs (docs/server-workers.md). No broker: a bounded in-process thread pool runs them.
    # A Redis broker (redis://host:6379/0): Celery workers (`secloop server worker`) run them
    # and job states live in that Redis under `job_key_prefix`, so every process sees them.
    broker_url: str = ""
    job_key_prefix: str = Field(default="secloop:", max_length=100)
    worker_threads: int = Field(default=2, ge=1, le=64)
    # Large uploads wait here for a worker: it must be shared by the API and the workers.
    spool_dir: Path | None = None
    # Schedules, in hours (0: off). Intel refresh downloads KEV/EPSS (network).
    intel_refresh_hours: float = Field(default=0, ge=0)
    intel_kev_url: str = DEFAULT_KEV_URL
    intel_epss_url: str = DEFAULT_EPSS_URL
    rescan_hours: float = Field(default=0, ge=0)
    rescan_project: str = Field(default="rescans", min_length=1, max_length=200)
    rescan_targets: tuple[str, ...] = ()
    # How often SLA breaches and status changes are checked for webhooks (0: off).
    notify_minutes: float = Field(default=5, ge=0)
    # Outbound webhooks; a target's host must match `webhook_allow_hosts` (names, `*.suffix`,
    # IP addresses or CIDRs); private, loopback and link-local addresses need a CIDR entry.
    webhooks: tuple[WebhookTarget, ...] = ()
    webhook_allow_hosts: tuple[str, ...] = ()
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    webhook_backoff_seconds: float = Field(default=5.0, ge=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The base of links in webhook payloads, e.g. https://secloop.example.com
    public_url: str = ""
    # `/metrics` requires `Authorization: Bearer <metrics_token>` when set.
    metrics_token: SecretStr | None = None

    @model_validator(mode="after")
    def _default_database(self) -> ServerSettings:
        if not self.database_url:
            url = f"sqlite:///{self.data_dir / 'secloop.db'}"
            object.__setattr__(self, "database_url", url)
        return self

    @property
    def spool(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

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


REMOVED_SETTING_MESSAGE = (
    "the shared `api_token` setting ({where}) was removed: the server now has users and "
    "per-user API tokens. Remove it, create an admin (`secloop server user add NAME --admin`) "
    "and a token (`secloop server token create --user NAME --name ci --scope write`), and "
    "send that token as SECLOOP_SERVER_TOKEN"
)


def _refuse_removed(values: dict[str, Any], file: Path | None) -> None:
    env = f"{ENV_PREFIX}API_TOKEN"
    if env in os.environ:
        raise ConfigError(REMOVED_SETTING_MESSAGE.format(where=f"environment variable {env}"))
    if "api_token" in values:
        raise ConfigError(
            REMOVED_SETTING_MESSAGE.format(where=f"in {file}" if file else "argument")
        )


def load_settings(file: Path | None = None, **overrides: Any) -> ServerSettings:
    """Settings from ``overrides`` > environment > ``file`` > defaults."""
    from pydantic import ValidationError

    named = file or (
        Path(os.environ[SETTINGS_FILE_ENV]) if SETTINGS_FILE_ENV in os.environ else None
    )
    try:
        from_env = ServerSettings().model_dump(exclude_unset=True)
        values = {**(_file_values(named) if named else {}), **from_env, **overrides}
        _refuse_removed(values, named)
        return ServerSettings(**values)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(settings)"
        raise ConfigError(f"invalid server setting {where}: {first['msg']}") from None
