"""Severity of a vulnerability from its advisories.

The highest CVSS base score among the records' vectors wins (v4, v3.x and v2 are
computed with the ``cvss`` package, never trusted from a stored number); without a
usable vector, the record's own rating (GHSA ``database_specific.severity``, where
``MODERATE`` means medium); else UNKNOWN. Taking the highest keeps a gate from being
passed on the strength of the mildest of several opinions.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import cvss  # type: ignore[import-untyped]  # no py.typed; used through three calls
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from secloop.core.severity import Severity
from secloop.vulndb.facts import AdvisoryFacts

__all__ = ["cvss_vectors", "severity_of"]

_CALCULATORS = {"CVSS_V2": cvss.CVSS2, "CVSS_V3": cvss.CVSS3, "CVSS_V4": cvss.CVSS4}
_LABELS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


def cvss_vectors(advisories: Iterable[AdvisoryFacts]) -> tuple[str, ...]:
    vectors = (score for a in advisories for kind, score in a.severity if kind in _CALCULATORS)
    return tuple(dict.fromkeys(vectors))


@lru_cache(maxsize=65536)
def _base_score(kind: str, vector: str) -> float | None:
    calculator = _CALCULATORS.get(kind)
    if calculator is None:
        return None
    try:
        return float(calculator(vector).base_score)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None  # a malformed vector rates nothing; the label may still


def severity_of(advisories: Iterable[AdvisoryFacts]) -> Severity:
    records = list(advisories)
    scores = [
        score
        for a in records
        for kind, vector in a.severity
        if (score := _base_score(kind, vector)) is not None
    ]
    if scores:
        return Severity.from_cvss_score(max(scores))
    labels = [_LABELS.get(a.rating.upper()) for a in records]
    rated = [label for label in labels if label is not None]
    return max(rated) if rated else Severity.UNKNOWN
