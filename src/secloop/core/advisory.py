"""An advisory reduced to what matching and reporting need (the OSV schema's shape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RangeType(StrEnum):
    ECOSYSTEM = "ECOSYSTEM"
    SEMVER = "SEMVER"
    GIT = "GIT"


class EventKind(StrEnum):
    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class RangeEvent:
    kind: EventKind
    version: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    type: RangeType
    events: tuple[RangeEvent, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedPackage:
    ecosystem: str
    name: str
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityScore:
    """A CVSS vector (``CVSS_V3``, ``CVSS_V4``) or an ecosystem's own rating."""

    type: str
    score: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    affected: tuple[AffectedPackage, ...] = ()
    severity: tuple[SeverityScore, ...] = ()
    references: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    withdrawn: datetime | None = None
    database_specific: dict[str, str] = field(default_factory=dict)

    @property
    def all_ids(self) -> tuple[str, ...]:
        """The id first, then every alias, without repeats."""
        return tuple(dict.fromkeys((self.id, *self.aliases)))
