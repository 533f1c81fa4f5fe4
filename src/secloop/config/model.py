"""The configuration file's pydantic model (the trust boundary of :mod:`secloop.config`).

Apart from the package so that building the models (a good part of a short scan's
start-up) happens only when a configuration file is actually read.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from secloop.core.errors import UsageError
from secloop.core.severity import Severity
from secloop.output.interface import OutputFormat
from secloop.policy.licenses import LicensePolicy

__all__ = ["VALID_KEYS", "ConfigModel", "ValidationError", "describe"]


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


class ConfigModel(BaseModel):
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


VALID_KEYS = tuple(ConfigModel.model_fields)


def describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown key {key!r}; valid keys: {', '.join(VALID_KEYS)}"
    message = str(first.get("ctx", {}).get("error") or first["msg"])
    return f"{source}: {key}: {message}"
