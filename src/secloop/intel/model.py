"""What the exploit feeds say about one vulnerability finding.

A finding is matched through its advisory id and every alias (a GHSA advisory that
aliases a CVE in KEV is in KEV). When several CVEs match, the finding is as
exploited as the worst of them: in KEV if any is, the highest EPSS probability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from secloop.core.finding import Finding

__all__ = ["ExploitSignal", "FeedInfo", "IntelSnapshot", "KevMark", "vulnerability_ids"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KevMark:
    """One CISA KEV entry, reduced to what ranking and reports use."""

    date_added: date
    due_date: date | None = None
    ransomware: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedInfo:
    """Which copy of a feed is loaded: where from, as of when, how many entries."""

    name: str  # "kev" or "epss"
    source: str
    version: str
    as_of: datetime | None
    fetched_at: datetime
    entries: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ExploitSignal:
    """KEV membership and EPSS score of one finding; None fields: the feed has no entry."""

    kev_cve: str | None = None  # the matching CVE in KEV
    kev: KevMark | None = None
    epss_cve: str | None = None  # the CVE whose EPSS score is reported (the highest)
    epss: float | None = None
    epss_percentile: float | None = None

    @property
    def in_kev(self) -> bool:
        return self.kev is not None


def vulnerability_ids(finding: Finding) -> tuple[str, ...]:
    """The advisory id and aliases of a vulnerability finding, upper-cased; () otherwise."""
    detail = finding.vulnerability
    if detail is None:
        return ()
    return tuple(dict.fromkeys(i.strip().upper() for i in (detail.advisory_id, *detail.aliases)))


@dataclass(frozen=True, slots=True, kw_only=True)
class IntelSnapshot:
    """The KEV and EPSS entries for a set of CVEs, and which feeds were loaded at all."""

    kev: Mapping[str, KevMark] = field(default_factory=dict)
    epss: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # probability, pct
    feeds: tuple[FeedInfo, ...] = ()

    def has_feed(self, name: str) -> bool:
        return any(feed.name == name for feed in self.feeds)

    def signal_for(self, ids: Iterable[str]) -> ExploitSignal | None:
        """The combined signal of ``ids``; None when no feed mentions any of them."""
        wanted = tuple(ids)
        kev_cve = next((i for i in wanted if i in self.kev), None)
        scored = [(self.epss[i], i) for i in wanted if i in self.epss]
        if kev_cve is None and not scored:
            return None
        signal = ExploitSignal(kev_cve=kev_cve, kev=self.kev[kev_cve] if kev_cve else None)
        if not scored:
            return signal
        (probability, percentile), epss_cve = max(scored)
        return replace(signal, epss_cve=epss_cve, epss=probability, epss_percentile=percentile)

    def signals(self, findings: Iterable[Finding]) -> dict[str, ExploitSignal]:
        """Signals keyed by finding fingerprint, for the findings any feed mentions."""
        found: dict[str, ExploitSignal] = {}
        for finding in findings:
            signal = self.signal_for(vulnerability_ids(finding))
            if signal is not None:
                found[finding.fingerprint] = signal
        return found
