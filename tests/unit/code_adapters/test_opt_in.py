"""Adapters are registered but opt-in: only their names select them."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.errors import UsageError
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry


def names(requested: list[str] | None) -> list[str]:
    return [s.name for s in default_registry().select_scanners(requested)]


def test_not_selected_by_default_or_by_kind() -> None:
    for requested in (None, ["sast"], ["code"]):
        assert "bandit" not in names(requested)
        assert "semgrep" not in names(requested)
    assert "python" in names(["sast"])


def test_selected_by_name_next_to_a_kind() -> None:
    assert names(["sast", "bandit"]) == ["python", "bandit"]
    assert names(["semgrep"]) == ["semgrep"]
    assert {"bandit", "semgrep"} <= set(default_registry().choices())


def test_unknown_name_still_a_usage_error() -> None:
    with pytest.raises(UsageError):
        default_registry().select_scanners(["bandit2"])


def test_full_scan_runs_no_adapter(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import pickle\npickle.loads(b'')\n")
    result = run_scan(ScanRequest(spec=str(tmp_path)), default_registry())
    assert "bandit" not in result.scanners
    assert {f.scanner for f in result.findings} <= {"python", "secret"}
