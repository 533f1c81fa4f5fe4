"""Filters that remove findings from a result entirely (``--severity``, ``--ignore-unfixed``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from secloop.core.finding import Finding, FindingKind
from secloop.core.severity import Severity


def keep_severities(findings: Sequence[Finding], severities: Collection[Severity]) -> list[Finding]:
    return [f for f in findings if f.severity in severities]


def drop_unfixed(findings: Sequence[Finding]) -> list[Finding]:
    """Drop vulnerabilities with no fixed version; other kinds are always fixable by config."""
    return [
        f
        for f in findings
        if f.kind is not FindingKind.VULNERABILITY
        or (f.vulnerability is not None and f.vulnerability.fixable)
    ]
