"""The priority score and its explanation, SLA due dates, and time-to-fix statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from secloop.core.severity import Severity
from secloop.server.lifecycle import Status
from secloop.server.priority import (
    LEVEL_FLOORS,
    Epss,
    Exposure,
    Kev,
    PriorityInput,
    cvss_score,
    first_cve,
    prioritise,
)
from secloop.server.sla import DEFAULT_SLA, SlaPolicy, due_date, fix_stats, is_overdue

SEEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_exploited_internet_facing_critical_is_p1_with_every_reason_shown() -> None:
    item = PriorityInput(
        severity=Severity.CRITICAL, cvss=9.8, kev=Kev(date(2024, 5, 1), date(2024, 5, 22)),
        epss=Epss(0.94, 0.995), exposure=Exposure.INTERNET,
    )  # fmt: skip
    priority = prioritise(item)
    assert priority.level == 1
    assert priority.label == "P1"
    assert priority.explanation == (
        "CRITICAL (CVSS 9.8) · in KEV since 2024-05-01, due 2024-05-22 · EPSS 0.94 (99th pct) "
        "· internet-facing → P1 (99)"
    )


def test_intelligence_and_exposure_move_the_same_severity_apart() -> None:
    quiet = prioritise(
        PriorityInput(severity=Severity.HIGH, epss=Epss(0.001, 0.05), exposure=Exposure.ISOLATED)
    )
    hot = prioritise(
        PriorityInput(severity=Severity.HIGH, epss=Epss(0.7, 0.98), exposure=Exposure.INTERNET)
    )
    assert hot.score > quiet.score
    assert hot.level < quiet.level
    assert "EPSS 0.70 (98th pct)" in hot.explanation


def test_kev_on_an_internet_facing_asset_is_p1_whatever_the_score() -> None:
    low = PriorityInput(severity=Severity.LOW, kev=Kev(date(2024, 1, 1), None))
    assert prioritise(low).level > 1
    exposed = PriorityInput(
        severity=Severity.LOW, kev=Kev(date(2024, 1, 1), None), exposure=Exposure.INTERNET
    )
    assert prioritise(exposed).level == 1


@pytest.mark.parametrize("exposure", list(Exposure))
def test_every_exposure_is_scored_and_explained(exposure: Exposure) -> None:
    priority = prioritise(PriorityInput(severity=Severity.MEDIUM, exposure=exposure))
    assert 0 <= priority.score <= 100
    assert priority.explanation.startswith("MEDIUM · ")


@pytest.mark.parametrize("severity", list(Severity))
def test_every_severity_has_a_score_and_level(severity: Severity) -> None:
    priority = prioritise(PriorityInput(severity=severity))
    floors = (*LEVEL_FLOORS, 0)
    assert priority.score >= floors[priority.level - 1]
    assert priority.level == 1 or priority.score < floors[priority.level - 2]


def test_cvss_is_computed_from_vectors_and_bad_vectors_rate_nothing() -> None:
    v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert cvss_score((v31, "CVSS:3.1/garbage")) == 9.8
    assert cvss_score(("CVSS:3.1/garbage", "AV:N/AC:L/Au:N/C:P/I:P/A:P")) is None
    assert cvss_score(()) is None


def test_first_cve_picks_the_cve_among_aliases() -> None:
    assert first_cve("GHSA-xxxx-yyyy-zzzz", "cve-2021-44228") == "CVE-2021-44228"
    assert first_cve("PYSEC-2020-1", None) is None


def test_due_dates_follow_severity_and_project_overrides() -> None:
    assert due_date(SEEN, Severity.CRITICAL, DEFAULT_SLA, None, False) == date(2024, 5, 8)
    assert due_date(SEEN, Severity.LOW, DEFAULT_SLA, None, False) == date(2024, 10, 28)
    strict = SlaPolicy.from_overrides({"high": 10, "low": None})
    assert strict.high == 10
    assert strict.low == 180
    assert due_date(SEEN, Severity.HIGH, strict, None, False) == date(2024, 5, 11)
    assert due_date(SEEN, Severity.UNKNOWN, DEFAULT_SLA, None, False) == date(2024, 7, 30)


def test_kev_findings_are_due_by_the_kev_date_or_seven_days_whichever_is_sooner() -> None:
    later = date(2024, 6, 1)
    sooner = date(2024, 5, 3)
    assert due_date(SEEN, Severity.MEDIUM, DEFAULT_SLA, later, True) == date(2024, 5, 8)
    assert due_date(SEEN, Severity.MEDIUM, DEFAULT_SLA, sooner, True) == sooner
    assert due_date(SEEN, Severity.MEDIUM, DEFAULT_SLA, None, True) == date(2024, 5, 8)


def test_only_active_findings_past_their_due_date_are_overdue() -> None:
    due = date(2024, 5, 8)
    assert is_overdue(Status.OPEN, due, due + timedelta(days=1))
    assert not is_overdue(Status.OPEN, due, due)
    assert not is_overdue(Status.FIXED, due, due + timedelta(days=30))
    assert not is_overdue(Status.OPEN, None, due)


def test_fix_stats_mean_and_median_in_days() -> None:
    pairs = [(SEEN, SEEN + timedelta(days=d)) for d in (1, 2, 9)]
    stats = fix_stats(pairs)
    assert stats is not None
    assert (stats.fixed, stats.mean_days, stats.median_days) == (3, 4.0, 2.0)
    assert fix_stats([]) is None
