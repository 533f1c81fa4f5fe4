"""The database's own record encoding: compact JSON of a core :class:`Advisory`.

Records in the database were validated once, at import (:mod:`secloop.vulndb.osv`);
reading them back skips pydantic and builds the frozen dataclasses directly, which is
what keeps a scan's lookups fast. The encoding is private to the database file and
versioned with it (``meta.schema_version``).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
    SeverityScore,
)

__all__ = ["advisory_from_dict", "advisory_from_json", "advisory_to_json"]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _affected_to_dict(affected: AffectedPackage) -> dict[str, Any]:
    return {
        "e": affected.ecosystem,
        "n": affected.name,
        "r": [
            [r.type.value, [[e.kind.value, e.version] for e in r.events]] for r in affected.ranges
        ],
        "v": list(affected.versions),
    }


def advisory_to_json(advisory: Advisory) -> str:
    document = {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "summary": advisory.summary,
        "details": advisory.details,
        "affected": [_affected_to_dict(a) for a in advisory.affected],
        "severity": [[s.type, s.score] for s in advisory.severity],
        "references": list(advisory.references),
        "published": _time(advisory.published),
        "modified": _time(advisory.modified),
        "database_specific": dict(advisory.database_specific),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


# Enum lookups by value through a dict: ``EventKind(k)`` costs a Python-level call.
_RANGE_TYPES = {t.value: t for t in RangeType}
_EVENT_KINDS = {k.value: k for k in EventKind}


@lru_cache(maxsize=65536)
def _event(kind: str, version: str) -> RangeEvent:
    """Events are immutable and repeat across records (``introduced: "0"``): shared."""
    return RangeEvent(kind=_EVENT_KINDS[kind], version=version)


def _range(kind: str, events: list[list[str]]) -> AffectedRange:
    return AffectedRange(type=_RANGE_TYPES[kind], events=tuple([_event(k, v) for k, v in events]))


def _affected_from_dict(data: dict[str, Any]) -> AffectedPackage:
    return AffectedPackage(
        ecosystem=data["e"],
        name=data["n"],
        ranges=tuple([_range(kind, events) for kind, events in data["r"]]),
        versions=tuple(data["v"]),
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def advisory_from_json(text: str) -> Advisory:
    return advisory_from_dict(json.loads(text))


def advisory_from_dict(data: dict[str, Any]) -> Advisory:
    """From the already-parsed JSON: the matcher parses a record once and builds the
    dataclasses only for the records that actually match."""
    return Advisory(
        id=data["id"],
        aliases=tuple(data["aliases"]),
        summary=data["summary"],
        details=data["details"],
        affected=tuple([_affected_from_dict(a) for a in data["affected"]]),
        severity=tuple([SeverityScore(type=t, score=s) for t, s in data["severity"]]),
        references=tuple(data["references"]),
        published=_parse_time(data["published"]),
        modified=_parse_time(data["modified"]),
        database_specific=dict(data["database_specific"]),
    )
