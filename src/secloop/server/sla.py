"""Service-level agreements: when a finding is due, whether it is overdue, time to fix.

A finding is due a number of days after it was first seen, by severity (defaults
below, configurable per project). A finding whose CVE is in CISA KEV is due by the
earlier of KEV's own due date and ``kev`` days after first seen: an exploited
vulnerability never waits for its severity's longer clock. UNKNOWN severity uses the
MEDIUM clock, since unrated is not harmless. Only active findings can be overdue.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from secloop.core.severity import Severity
from secloop.server.lifecycle import ACTIVE, Status

__all__ = ["DEFAULT_SLA", "FixStats", "SlaPolicy", "due_date", "fix_stats", "is_overdue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaPolicy:
    """Days allowed per severity, and for KEV findings."""

    critical: int = 7
    high: int = 30
    medium: int = 90
    low: int = 180
    kev: int = 7

    def days(self, severity: Severity) -> int:
        by_severity = {
            Severity.CRITICAL: self.critical,
            Severity.HIGH: self.high,
            Severity.MEDIUM: self.medium,
            Severity.LOW: self.low,
            Severity.UNKNOWN: self.medium,
        }
        return by_severity[severity]

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, int | None]) -> SlaPolicy:
        """A project's policy: its stored values where set, the defaults elsewhere."""
        return cls(**{key: value for key, value in overrides.items() if value is not None})


DEFAULT_SLA = SlaPolicy()


def due_date(
    first_seen: datetime, severity: Severity, policy: SlaPolicy, kev_due: date | None, kev: bool
) -> date:
    """When the finding must be fixed by (see the module docstring for the KEV rule)."""
    start = first_seen.date()
    due = start + timedelta(days=policy.days(severity))
    if kev:
        due = min(due, start + timedelta(days=policy.kev))
        if kev_due is not None:
            due = min(due, kev_due)
    return due


def is_overdue(status: Status, due: date | None, today: date) -> bool:
    return status in ACTIVE and due is not None and due < today


@dataclass(frozen=True, slots=True, kw_only=True)
class FixStats:
    """Time to fix in days for one group of fixed findings."""

    fixed: int
    mean_days: float
    median_days: float


def fix_stats(durations: Iterable[tuple[datetime, datetime]]) -> FixStats | None:
    """Mean and median days from first seen to fixed; None when nothing was fixed."""
    days = [max(0.0, (fixed - seen).total_seconds() / 86400) for seen, fixed in durations]
    if not days:
        return None
    return FixStats(
        fixed=len(days),
        mean_days=round(statistics.fmean(days), 2),
        median_days=round(statistics.median(days), 2),
    )
