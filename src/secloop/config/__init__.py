"""User configuration: ``secloop.yaml`` (or ``.secloop.yaml``) or ``[tool.secloop]``.

The file is a trust boundary: a pydantic model with ``extra="forbid"`` validates it,
an unknown key is a usage error that names the key and lists the valid ones, and the
result is a frozen :class:`Settings` that the CLI overlays with its own options.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from secloop.core.errors import ConfigError, UsageError
from secloop.core.severity import Severity
from secloop.output.interface import OutputFormat
from secloop.policy.licenses import LicensePolicy

__all__ = ["CONFIG_FILE_NAMES", "Settings", "find_config", "load_config"]

CONFIG_FILE_NAMES = ("secloop.yaml", "secloop.yml", ".secloop.yaml", ".secloop.yml")
_MAX_CONFIG_BYTES = 1024 * 1024


def _check_severity(name: str) -> None:
    try:
        Severity.parse(name)
    except UsageError as err:
        raise ValueError(str(err)) from None


class _LicensesModel(BaseModel):
    """``licenses:``: the licence policy (see :mod:`secloop.policy.licenses`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deny: list[str] = []
    allow: list[str] = []
    severity: str | None = None
    unknown: bool = False

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str | None) -> str | None:
        if value is not None:
            _check_severity(value)
        return value

    def to_policy(self) -> LicensePolicy:
        try:
            return LicensePolicy(
                deny=tuple(self.deny),
                allow=tuple(self.allow),
                severity=Severity.parse(self.severity) if self.severity else Severity.HIGH,
                report_unknown=self.unknown,
            )
        except UsageError as err:
            raise ValueError(str(err)) from None

    @model_validator(mode="after")
    def _valid_patterns(self) -> _LicensesModel:
        self.to_policy()
        return self


class _ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scanners: list[str] | None = None
    severity: list[str] | None = None
    fail_on: str | None = None
    exit_code: int | None = Field(default=None, ge=0, le=255)
    format: OutputFormat | None = None
    output: str | None = None
    ignore_unfixed: bool | None = None
    ignore_file: str | None = None
    exclude: list[str] | None = None
    gitignore: bool | None = None
    allow_empty: bool | None = None
    max_file_size: int | None = Field(default=None, gt=0)
    licenses: _LicensesModel | None = None
    policy: list[str] | None = None
    namespace: list[str] | None = None
    pss_level: Literal["baseline", "restricted"] | None = None
    pss_version: str | None = None
    allowed_registries: list[str] | None = None
    strict_render: bool | None = None

    @field_validator("severity")
    @classmethod
    def _known_severities(cls, value: list[str] | None) -> list[str] | None:
        for name in value or ():
            _check_severity(name)
        return value

    @field_validator("fail_on")
    @classmethod
    def _known_threshold(cls, value: str | None) -> str | None:
        if value is not None:
            _check_severity(value)
        return value


VALID_KEYS = tuple(_ConfigModel.model_fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Configuration values; None means "not set here", so CLI defaults apply."""

    source: str | None = None
    scanners: tuple[str, ...] | None = None
    severity: tuple[Severity, ...] | None = None
    fail_on: Severity | None = None
    exit_code: int | None = None
    format: OutputFormat | None = None
    output: str | None = None
    ignore_unfixed: bool | None = None
    ignore_file: str | None = None
    exclude: tuple[str, ...] = ()
    gitignore: bool | None = None
    allow_empty: bool | None = None
    max_file_size: int | None = None
    licenses: LicensePolicy | None = None
    policy: tuple[str, ...] = ()
    namespace: tuple[str, ...] = ()
    pss_level: str | None = None
    pss_version: str | None = None
    allowed_registries: tuple[str, ...] = ()
    strict_render: bool | None = None


def _describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown key {key!r}; valid keys: {', '.join(VALID_KEYS)}"
    message = str(first.get("ctx", {}).get("error") or first["msg"])
    return f"{source}: {key}: {message}"


def _settings(raw: Any, source: str) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        model = _ConfigModel.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_describe(err, source)) from None
    return Settings(
        source=source,
        scanners=tuple(model.scanners) if model.scanners is not None else None,
        severity=tuple(Severity.parse(s) for s in model.severity) if model.severity else None,
        fail_on=Severity.parse(model.fail_on) if model.fail_on else None,
        exit_code=model.exit_code,
        format=model.format,
        output=model.output,
        ignore_unfixed=model.ignore_unfixed,
        ignore_file=model.ignore_file,
        exclude=tuple(model.exclude or ()),
        gitignore=model.gitignore,
        allow_empty=model.allow_empty,
        max_file_size=model.max_file_size,
        licenses=model.licenses.to_policy() if model.licenses else None,
        policy=tuple(model.policy or ()),
        namespace=tuple(model.namespace or ()),
        pss_level=model.pss_level,
        pss_version=model.pss_version,
        allowed_registries=tuple(model.allowed_registries or ()),
        strict_render=model.strict_render,
    )


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_MAX_CONFIG_BYTES)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror or err})") from None


def load_config(path: Path) -> Settings:
    """Load one configuration file: YAML, or a pyproject.toml's ``[tool.secloop]`` table."""
    data = _read(path)
    if path.name == "pyproject.toml":
        try:
            document = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path}: invalid TOML ({err})") from None
        return _settings(document.get("tool", {}).get("secloop", {}), f"{path} [tool.secloop]")
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{line}") from None
    return _settings(raw or {}, str(path))


def find_config(directory: Path) -> Path | None:
    """The configuration in ``directory``: a secloop.yaml first, else a pyproject.toml
    that has a ``[tool.secloop]`` table."""
    for name in CONFIG_FILE_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and b"[tool.secloop" in _read(pyproject):
        return pyproject
    return None
