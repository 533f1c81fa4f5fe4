"""Shared fixtures: the third-party corpus beside the project, fixed clocks."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS_ROOT = PROJECT_ROOT.parent / "shared" / "corpus"


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus; the calling test is skipped when it is absent."""
    path = CORPUS_ROOT.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party corpus not available at {path} (../shared is absent)")
    return path


@pytest.fixture
def corpus() -> Path:
    """The corpus root, skipping the test with a clear reason when ../shared is absent."""
    return corpus_path()
