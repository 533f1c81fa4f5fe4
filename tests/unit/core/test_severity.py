from __future__ import annotations

import pytest

from secloop.core.errors import UsageError
from secloop.core.severity import Severity


def test_severities_are_ordered_for_gates() -> None:
    assert sorted(Severity, reverse=True) == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.UNKNOWN,
    ]


@pytest.mark.parametrize("member", list(Severity))
def test_parse_accepts_every_member_in_any_case(member: Severity) -> None:
    assert Severity.parse(member.name.lower()) is member
    assert Severity.parse(f" {member.name} ") is member
    assert member.label == member.name.capitalize()


def test_parse_rejects_unknown_names_listing_the_choices() -> None:
    with pytest.raises(UsageError, match="choose one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL"):
        Severity.parse("severe")


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, Severity.UNKNOWN),
        (0.1, Severity.LOW),
        (3.9, Severity.LOW),
        (4.0, Severity.MEDIUM),
        (6.9, Severity.MEDIUM),
        (7.0, Severity.HIGH),
        (8.9, Severity.HIGH),
        (9.0, Severity.CRITICAL),
        (10.0, Severity.CRITICAL),
    ],
)
def test_cvss_score_bands(score: float, expected: Severity) -> None:
    assert Severity.from_cvss_score(score) is expected
