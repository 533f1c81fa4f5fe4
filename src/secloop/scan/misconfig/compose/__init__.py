"""Docker Compose checks: the explicit table of every check, in report order."""

from __future__ import annotations

from secloop.scan.misconfig.compose.base import ComposeCheck
from secloop.scan.misconfig.compose.checks_exposure import EXPOSURE_CHECKS
from secloop.scan.misconfig.compose.checks_privilege import PRIVILEGE_CHECKS

__all__ = ["COMPOSE_CHECKS"]

COMPOSE_CHECKS: tuple[ComposeCheck, ...] = tuple(
    sorted((*PRIVILEGE_CHECKS, *EXPOSURE_CHECKS), key=lambda check: check.rule.id)
)
