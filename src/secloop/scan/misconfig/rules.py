"""The one constructor of misconfiguration rule metadata, shared by every file family."""

from __future__ import annotations

from collections.abc import Mapping

from secloop.core.finding import FindingKind
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.core.severity import Severity

__all__ = ["misconfig_rule"]


def misconfig_rule(
    *,
    family: str,
    default_reference: str,
    id: str,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    references: tuple[str, ...] = (),
    peers: Mapping[str, str] | None = None,
    frameworks: Mapping[str, tuple[str, ...]] | None = None,
    root_cause: RootCause | None = None,
) -> Rule:
    """A misconfiguration rule tagged with its family; every rule has a reference."""
    return Rule(
        id=id,
        kind=FindingKind.MISCONFIGURATION,
        title=title,
        severity=severity,
        description=description,
        remediation=remediation,
        references=references or (default_reference,),
        peers=dict(peers or {}),
        frameworks=dict(frameworks or {}),
        tags=(family,),
        root_cause=root_cause,
    )
