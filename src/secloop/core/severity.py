"""Severity: one ordered scale for every kind of finding."""

from __future__ import annotations

from enum import IntEnum

from secloop.core.errors import UsageError


class Severity(IntEnum):
    """Ordered so that ``Severity.HIGH > Severity.MEDIUM`` holds, as gates need."""

    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity name in any case; a wrong name is a usage error listing the choices."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(member.name for member in cls)
            raise UsageError(f"unknown severity {text!r}; choose one of {choices}") from None

    @classmethod
    def from_cvss_score(cls, score: float) -> Severity:
        """Map a CVSS v3/v4 base score to its qualitative rating (CVSS v3.1 spec, section 5)."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.UNKNOWN

    @property
    def label(self) -> str:
        return self.name.capitalize()
