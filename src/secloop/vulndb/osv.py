"""OSV records (JSON, and the YAML of the PyPA advisory database) into core Advisories.

This is a trust boundary: records come from a download or a user's directory. They
are validated with pydantic models that are typed but ``extra="ignore"``, because the
OSV schema grows new optional fields and an old secloop must keep reading new data;
what matching needs (ids, packages, ranges, versions) is required and checked.

YAML is loaded with a resolver that keeps every scalar a string except timestamps:
plain YAML would read ``fixed: 1.10`` as the float ``1.1`` and move a range boundary.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
    SeverityScore,
)
from secloop.vulndb.errors import RecordError

__all__ = ["advisory_from_mapping", "parse_record"]

_LOADER_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StringScalarLoader(_LOADER_BASE):  # type: ignore[valid-type,misc]
    """SafeLoader that leaves ints, floats and booleans as the strings they were."""


_StringScalarLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag.endswith(":timestamp") or tag.endswith(":null")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Event(_Wire):
    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None


class _Range(_Wire):
    type: str
    events: list[_Event] = Field(min_length=1)


class _Package(_Wire):
    ecosystem: str = Field(min_length=1)
    name: str = Field(min_length=1)


class _Severity(_Wire):
    type: str
    score: str


class _Affected(_Wire):
    package: _Package | None = None
    ranges: list[_Range] = Field(default_factory=list)
    versions: list[str] = Field(default_factory=list)
    severity: list[_Severity] = Field(default_factory=list)
    database_specific: dict[str, Any] | None = None


class _Reference(_Wire):
    type: str = "WEB"
    url: str


class _Record(_Wire):
    id: str = Field(min_length=1)
    modified: datetime | None = None
    published: datetime | None = None
    withdrawn: datetime | None = None
    aliases: list[str] = Field(default_factory=list)
    summary: str = ""
    details: str = ""
    affected: list[_Affected] = Field(default_factory=list)
    severity: list[_Severity] = Field(default_factory=list)
    references: list[_Reference] = Field(default_factory=list)
    database_specific: dict[str, Any] | None = None

    @field_validator("aliases", mode="before")
    @classmethod
    def _null_aliases(cls, value: object) -> object:
        return [] if value is None else value


def _convert_event(event: _Event) -> RangeEvent | None:
    for kind in EventKind:
        value = getattr(event, kind.value)
        if value is not None:
            return RangeEvent(kind=kind, version=str(value))
    return None


def _convert_range(wire: _Range) -> AffectedRange | None:
    """Unknown range types are dropped: they cannot be evaluated, only misread."""
    try:
        range_type = RangeType(wire.type)
    except ValueError:
        return None
    events = tuple(e for e in map(_convert_event, wire.events) if e is not None)
    return AffectedRange(type=range_type, events=events)


def _convert_affected(wire: _Affected) -> AffectedPackage | None:
    if wire.package is None:  # e.g. a CVE record that names only a repository
        return None
    ranges = tuple(r for r in map(_convert_range, wire.ranges) if r is not None)
    return AffectedPackage(
        ecosystem=wire.package.ecosystem,
        name=wire.package.name,
        ranges=ranges,
        versions=tuple(wire.versions),
    )


def _severity_label(record: _Record) -> dict[str, str]:
    """The record's own rating (GHSA ``database_specific.severity``), if it has one."""
    sources = [record.database_specific or {}] + [
        a.database_specific or {} for a in record.affected
    ]
    for source in sources:
        label = source.get("severity")
        if isinstance(label, str) and label:
            return {"severity": label}
    return {}


def _convert(record: _Record) -> Advisory:
    scores = list(record.severity) + [s for a in record.affected for s in a.severity]
    severity = tuple(dict.fromkeys(SeverityScore(type=s.type, score=s.score) for s in scores))
    affected = tuple(a for a in map(_convert_affected, record.affected) if a is not None)
    return Advisory(
        id=record.id,
        aliases=tuple(a for a in dict.fromkeys(record.aliases) if a != record.id),
        summary=record.summary,
        details=record.details,
        affected=affected,
        severity=severity,
        references=tuple(dict.fromkeys(r.url for r in record.references)),
        published=record.published,
        modified=record.modified,
        withdrawn=record.withdrawn,
        database_specific=_severity_label(record),
    )


def advisory_from_mapping(data: object, *, source: str) -> Advisory:
    """Validate one decoded OSV record; RecordError names ``source`` and the first problem."""
    if not isinstance(data, dict):
        raise RecordError(f"{source}: not an OSV record (top level is {type(data).__name__})")
    try:
        record = _Record.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(record)"
        raise RecordError(f"{source}: {where}: {first['msg']}") from None
    return _convert(record)


def parse_record(data: bytes, *, source: str) -> Advisory:
    """Parse one record file; YAML when ``source`` ends in .yaml/.yml, else JSON."""
    try:
        if source.endswith((".yaml", ".yml")):
            decoded: object = yaml.load(data, Loader=_StringScalarLoader)  # noqa: S506 - safe subclass
        else:
            decoded = json.loads(data)
    except (yaml.YAMLError, ValueError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise RecordError(f"{source}: cannot decode: {reason}") from None
    return advisory_from_mapping(decoded, source=source)
