"""Fixtures for the report formats: the golden sample and a small finding factory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from scripts.golden import build_sample_result

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind


@pytest.fixture(scope="session")
def sample() -> ScanResult:
    """The golden sample; built once, it is frozen so tests cannot disturb each other."""
    return build_sample_result()


def make_finding(**overrides: Any) -> Finding:
    """A minimal misconfiguration finding; keyword arguments replace any field."""
    base = Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id="T-001",
        severity=Severity.HIGH,
        title="Test rule",
        message="Something is wrong.",
        location=Location(path="app/config.yaml", start_line=3),
        scanner="test",
        fingerprint="0" * 32 + ":1",
    )
    return replace(base, **overrides)


def make_result(*findings: Finding, **overrides: Any) -> ScanResult:
    """A result holding ``findings`` with a fixed clock."""
    base = ScanResult(
        target=Target(TargetKind.DIRECTORY, "app"),
        started_at=datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 1, 1, 12, 0, 2, tzinfo=UTC),
        tool_version="0.1.0",
        findings=findings,
    )
    return replace(base, **overrides)


@pytest.fixture
def empty() -> ScanResult:
    return make_result()
