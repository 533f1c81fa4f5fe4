"""What a vulnerability finding shows of an advisory, without the rest of the record.

A scan that matches thousands of records needs, of each, only its ids, summary,
first line of details, severity scores and rating, and references: never the affected
ranges (already evaluated from the precompiled index) nor the full details, dates or
other ``database_specific`` fields. :class:`AdvisoryFacts` is that part. The database
stores it beside each record in a compact positional form (:func:`facts_to_json`), so
a scan reads and decodes a small array per match instead of the whole record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from secloop.core.advisory import Advisory

__all__ = ["AdvisoryFacts", "facts_from_json", "facts_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryFacts:
    """The advisory-only parts of a vulnerability finding."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""  # stripped
    headline: str = ""  # the first line of the stripped details, for a record without summary
    severity: tuple[tuple[str, str], ...] = ()  # (type, score), as in the record
    rating: str = ""  # the record's own label (GHSA ``database_specific.severity``), if any
    references: tuple[str, ...] = ()

    @property
    def all_ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    @classmethod
    def of(cls, advisory: Advisory) -> AdvisoryFacts:
        return cls(
            id=advisory.id,
            aliases=advisory.aliases,
            summary=advisory.summary.strip(),
            headline=advisory.details.strip().split("\n", 1)[0],
            severity=tuple((s.type, s.score) for s in advisory.severity),
            rating=advisory.database_specific.get("severity", ""),
            references=advisory.references,
        )


def facts_to_json(facts: AdvisoryFacts) -> str:
    """Positional, without the id (the row's key): the smallest text to read and parse."""
    document: list[Any] = [
        list(facts.aliases),
        facts.summary,
        facts.headline,
        [list(pair) for pair in facts.severity],
        facts.rating,
        list(facts.references),
    ]
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def facts_from_json(identifier: str, text: str) -> AdvisoryFacts:
    aliases, summary, headline, severity, rating, references = json.loads(text)
    return AdvisoryFacts(
        id=identifier,
        aliases=tuple(aliases),
        summary=summary,
        headline=headline,
        severity=tuple([(kind, score) for kind, score in severity]),
        rating=rating,
        references=tuple(references),
    )
