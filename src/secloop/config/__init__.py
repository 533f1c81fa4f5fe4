"""User configuration: ``secloop.yaml`` (or ``.secloop.yaml``) or ``[tool.secloop]``.

The file is a trust boundary: a pydantic model with ``extra="forbid"``
(:mod:`secloop.config.model`, built only when a file is read) validates it, an unknown
key is a usage error that names the key and lists the valid ones, and the result is a
frozen :class:`Settings` that the CLI overlays with its own options.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from secloop.core.errors import ConfigError
from secloop.core.severity import Severity
from secloop.output.interface import OutputFormat
from secloop.policy.licenses import LicensePolicy

__all__ = ["CONFIG_FILE_NAMES", "Settings", "find_config", "load_config"]

CONFIG_FILE_NAMES = ("secloop.yaml", "secloop.yml", ".secloop.yaml", ".secloop.yml")
_MAX_CONFIG_BYTES = 1024 * 1024


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


def _settings(raw: Any, source: str) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    from secloop.config.model import ConfigModel, ValidationError, describe

    try:
        model = ConfigModel.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(describe(err, source)) from None
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
