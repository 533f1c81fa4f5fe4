"""The checked-in golden reports match what the formatters produce today.

On an intended change, run ``python scripts/golden.py`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scripts.golden import GOLDEN_DIR, GOLDEN_FILES, drifted, main, render_all


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return render_all()


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES.values()))
def test_golden_file_matches(name: str, rendered: dict[str, str]) -> None:
    golden = (GOLDEN_DIR / name).read_bytes().decode("utf-8")
    assert rendered[name] == golden, f"{name} drifted: run python scripts/golden.py"


def test_rendering_is_deterministic(rendered: dict[str, str]) -> None:
    assert render_all() == rendered


def test_check_reports_drift_without_writing(tmp_path: Path, rendered: dict[str, str]) -> None:
    for name, text in rendered.items():
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    assert drifted(rendered, tmp_path) == []
    (tmp_path / "sample.junit.xml").write_text("changed", encoding="utf-8")
    (tmp_path / "sample.html").unlink()
    assert drifted(rendered, tmp_path) == ["sample.junit.xml", "sample.html"]


def test_check_mode_exits_zero_when_in_sync() -> None:
    assert main(["--check"]) == 0
