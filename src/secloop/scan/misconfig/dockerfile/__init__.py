"""Dockerfile checks: the explicit table of every check, in report order."""

from __future__ import annotations

from secloop.scan.misconfig.dockerfile.base import DockerfileCheck
from secloop.scan.misconfig.dockerfile.checks_image import IMAGE_CHECKS
from secloop.scan.misconfig.dockerfile.checks_packages import PACKAGE_CHECKS
from secloop.scan.misconfig.dockerfile.checks_run import RUN_CHECKS
from secloop.scan.misconfig.dockerfile.checks_style import STYLE_CHECKS

__all__ = ["DOCKERFILE_CHECKS"]

DOCKERFILE_CHECKS: tuple[DockerfileCheck, ...] = tuple(
    sorted(
        (*IMAGE_CHECKS, *RUN_CHECKS, *PACKAGE_CHECKS, *STYLE_CHECKS),
        key=lambda check: check.rule.id,
    )
)
