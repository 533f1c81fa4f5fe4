"""The status lifecycle of a finding: which changes are allowed and what they need.

::

    new ──▶ open ──▶ triaged ──▶ fixed ──▶ reopened ──▶ ...
     │        │         │          ▲
     └────────┴─────────┴──▶ false_positive / risk_accepted (justification, owner, expiry)

Users may move a finding between any two *different* statuses except into ``new``
(only ingest creates new findings) and into ``reopened`` (only ingest or an expiry
reopens). A risk acceptance needs a justification and an expiry in the future; when
it expires the finding is reopened. Ingest closes and reopens by the rules below;
both are pure functions here and applied by :mod:`secloop.server.storage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from secloop.server.errors import TransitionError

__all__ = [
    "ACTIVE",
    "RiskAcceptance",
    "Status",
    "check_transition",
    "status_after_ingest",
    "status_after_miss",
]


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    TRIAGED = "triaged"
    FALSE_POSITIVE = "false_positive"
    RISK_ACCEPTED = "risk_accepted"
    FIXED = "fixed"
    REOPENED = "reopened"


#: Statuses of findings that still need work; a complete re-import may close them.
ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.TRIAGED, Status.REOPENED})
_SYSTEM_ONLY = frozenset({Status.NEW, Status.REOPENED})


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskAcceptance:
    justification: str
    owner: str
    expires: date


def check_transition(
    old: Status, new: Status, *, acceptance: RiskAcceptance | None, today: date
) -> None:
    """Raise :class:`TransitionError` unless a user may move ``old`` to ``new``."""
    if new in _SYSTEM_ONLY:
        raise TransitionError(f"only ingest sets a finding to {new.value}")
    if old is new:
        raise TransitionError(f"finding is already {new.value}")
    if new is Status.RISK_ACCEPTED:
        if acceptance is None or not acceptance.justification.strip():
            raise TransitionError("risk acceptance needs a justification")
        if not acceptance.owner.strip():
            raise TransitionError("risk acceptance needs an owner")
        if acceptance.expires <= today:
            raise TransitionError("risk acceptance needs an expiry date in the future")


def status_after_ingest(current: Status) -> Status:
    """A finding reported again: a fixed one comes back as reopened; others keep theirs."""
    return Status.REOPENED if current is Status.FIXED else current


def status_after_miss(current: Status, *, complete: bool) -> Status:
    """A finding a complete re-import of its target and tool no longer reports is fixed.

    Partial scans prove nothing about what they did not read, so they never close.
    False positives and accepted risks keep their status: the decision stays recorded.
    """
    if complete and current in ACTIVE:
        return Status.FIXED
    return current


def acceptance_expired(expires: datetime | date | None, today: date) -> bool:
    """Whether a risk acceptance has run out (expiry day itself is still covered)."""
    if expires is None:
        return False
    day = expires.date() if isinstance(expires, datetime) else expires
    return day < today
