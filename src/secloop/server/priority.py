"""One explainable priority per finding: impact, threat, exposure → a score and P1..P5.

Severity alone ranks thousands of findings the same; what moves one to the top is
evidence that it is being exploited (CISA KEV), the likelihood that it will be (EPSS),
and whether an attacker can reach it. The score adds three parts, each shown in the
explanation, so a user can see *why* a finding ranks where it does:

1. **Impact** (0-50): the CVSS base score (v4 or v3, computed from the vector), else a
   midpoint of the severity band, times five.
2. **Threat** (0-35): 35 when the CVE is in KEV (exploited in the wild); else from EPSS,
   ``25 * percentile + 10 * probability``; a neutral 10 when no intelligence applies
   (misconfigurations, secrets, advisories without a CVE).
3. **Exposure** (0-15): internet-facing 15, internal or unknown 5, isolated 0. An
   exposure set on the asset by hand wins; otherwise the exposure derived from the
   project's Kubernetes manifests (:mod:`secloop.core.exposure`) applies to findings in
   a workload or in an image a workload runs: internet 15, node 10, cluster 5, no
   Service 2, with the path that explains it ("reachable from the internet: Ingress
   shop/web → Service shop/web:80 → Deployment shop/web").

Levels: P1 ≥ 80, P2 ≥ 60, P3 ≥ 40, P4 ≥ 20, else P5. A KEV finding on an
internet-facing asset (or workload) is P1 whatever its score: that is the case KEV exists for.
Findings therefore sort by level first, then by score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

import cvss  # type: ignore[import-untyped]  # no py.typed; used through one call
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from secloop.core.exposure import Exposure as Reach
from secloop.core.severity import Severity

__all__ = [
    "Derived",
    "Epss",
    "Exposure",
    "Kev",
    "Priority",
    "PriorityInput",
    "cvss_score",
    "first_cve",
    "prioritise",
]

IMPACT_WEIGHT = 5.0
KEV_THREAT = 35.0
NEUTRAL_THREAT = 10.0
LEVEL_FLOORS = (80, 60, 40, 20)  # P1, P2, P3, P4; below the last is P5
_SEVERITY_MIDPOINT = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 7.9,
    Severity.MEDIUM: 5.4,
    Severity.LOW: 2.0,
    Severity.UNKNOWN: 5.0,  # unrated is not harmless: rank it with the mediums
}


class Exposure(StrEnum):
    """How reachable an asset is; set per asset through the API."""

    INTERNET = "internet"
    INTERNAL = "internal"
    ISOLATED = "isolated"
    UNKNOWN = "unknown"


_EXPOSURE_POINTS = {
    Exposure.INTERNET: 15.0,
    Exposure.INTERNAL: 5.0,
    Exposure.UNKNOWN: 5.0,
    Exposure.ISOLATED: 0.0,
}
_EXPOSURE_TEXT = {
    Exposure.INTERNET: "internet-facing",
    Exposure.INTERNAL: "internal",
    Exposure.UNKNOWN: "exposure unknown",
    Exposure.ISOLATED: "isolated",
}


_REACH_POINTS = {
    Reach.INTERNET: 15.0,
    Reach.NODE: 10.0,
    Reach.CLUSTER: 5.0,
    Reach.NONE: 2.0,  # no Service: still reachable by pod IP, but nothing routes to it
    Reach.UNKNOWN: 5.0,
}
_REACH_TEXT = {
    Reach.INTERNET: "reachable from the internet",
    Reach.NODE: "reachable through its node",
    Reach.CLUSTER: "reachable inside the cluster",
    Reach.NONE: "no Service or route reaches its workload",
    Reach.UNKNOWN: "exposure unknown",
}
_PATH_CHARS = 300  # the explanation is stored in 500 characters


@dataclass(frozen=True, slots=True)
class Derived:
    """Exposure derived from manifests: the level and the path that explains it."""

    level: Reach
    path: str = ""

    @property
    def points(self) -> float:
        return _REACH_POINTS[self.level]

    @property
    def text(self) -> str:
        path = self.path if len(self.path) <= _PATH_CHARS else self.path[: _PATH_CHARS - 1] + "…"
        return f"{_REACH_TEXT[self.level]}: {path}" if path else _REACH_TEXT[self.level]


@dataclass(frozen=True, slots=True)
class Kev:
    """A CISA KEV catalogue entry: listed on ``added``, to be fixed by ``due``."""

    added: date
    due: date | None


@dataclass(frozen=True, slots=True)
class Epss:
    """EPSS: probability of exploitation in the next 30 days, and its percentile."""

    probability: float
    percentile: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityInput:
    severity: Severity
    cvss: float | None = None
    kev: Kev | None = None
    epss: Epss | None = None
    exposure: Exposure = Exposure.UNKNOWN  # set on the asset by hand; wins when known
    derived: Derived | None = None


@dataclass(frozen=True, slots=True)
class Priority:
    score: int
    level: int  # 1 (P1, first) .. 5
    explanation: str

    @property
    def label(self) -> str:
        return f"P{self.level}"


def _level(score: int) -> int:
    for level, floor in enumerate(LEVEL_FLOORS, start=1):
        if score >= floor:
            return level
    return 5


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _threat(item: PriorityInput) -> tuple[float, str | None, str | None]:
    kev_text = epss_text = None
    if item.epss is not None:
        pct = min(99, int(item.epss.percentile * 100))
        epss_text = f"EPSS {item.epss.probability:.2f} ({_ordinal(pct)} pct)"
    if item.kev is not None:
        due = f", due {item.kev.due.isoformat()}" if item.kev.due else ""
        kev_text = f"in KEV since {item.kev.added.isoformat()}{due}"
        return KEV_THREAT, kev_text, epss_text
    if item.epss is not None:
        return 25 * item.epss.percentile + 10 * item.epss.probability, None, epss_text
    return NEUTRAL_THREAT, None, None


def _exposure(item: PriorityInput) -> tuple[float, str, bool]:
    """Points, text and whether internet-facing: the asset's setting, else the derived one."""
    derived = item.derived
    if item.exposure is not Exposure.UNKNOWN or derived is None:
        exposure = item.exposure
        return _EXPOSURE_POINTS[exposure], _EXPOSURE_TEXT[exposure], exposure is Exposure.INTERNET
    return derived.points, derived.text, derived.level is Reach.INTERNET


def prioritise(item: PriorityInput) -> Priority:
    """The score, its level and the one-line explanation shown next to it."""
    base = item.cvss if item.cvss is not None else _SEVERITY_MIDPOINT[item.severity]
    threat, kev_text, epss_text = _threat(item)
    exposure_points, exposure_text, internet = _exposure(item)
    score = round(min(100.0, base * IMPACT_WEIGHT + threat + exposure_points))
    level = _level(score)
    if item.kev is not None and internet:
        level = 1
    impact = item.severity.name
    if item.cvss is not None:  # the vendor's rating and the CVSS score can disagree: show both
        impact += f" (CVSS {item.cvss:.1f})"
    parts = [impact, kev_text, epss_text, exposure_text]
    explanation = " · ".join(p for p in parts if p) + f" → P{level} ({score})"
    return Priority(score=score, level=level, explanation=explanation)


_CALCULATORS = (("CVSS:4.0/", cvss.CVSS4), ("CVSS:3.", cvss.CVSS3))


@lru_cache(maxsize=65536)
def _vector_score(vector: str) -> float | None:
    for prefix, calculator in _CALCULATORS:
        if vector.startswith(prefix):
            try:
                return float(calculator(vector).base_score)
            except (CVSSError, ValueError, KeyError, IndexError):
                return None  # a malformed vector rates nothing
    return None


def cvss_score(vectors: tuple[str, ...]) -> float | None:
    """The highest CVSS v4/v3 base score computed from the vectors (never a stored number)."""
    scores = [s for v in vectors if (s := _vector_score(v)) is not None]
    return max(scores) if scores else None


def first_cve(*ids: str | None) -> str | None:
    """The first CVE id among advisory ids and aliases: KEV and EPSS are keyed by CVE."""
    for value in ids:
        if value and value.upper().startswith("CVE-"):
            return value.upper()[:40]
    return None
