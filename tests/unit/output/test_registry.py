"""The registry knows every format, and importing it loads no rendering library."""

from __future__ import annotations

import subprocess
import sys

import pytest

from secloop.core.result import ScanResult
from secloop.output.interface import Formatter, OutputFormat, ReportContext
from secloop.output.registry import formatter_for


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_has_a_formatter(fmt: OutputFormat) -> None:
    formatter = formatter_for(fmt)
    assert isinstance(formatter, Formatter)
    assert formatter.format is fmt


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_empty_result_renders(fmt: OutputFormat, empty: ScanResult) -> None:
    text = formatter_for(fmt).render(empty, ReportContext())
    assert text.endswith("\n")
    assert text.strip()


def test_registry_import_stays_light() -> None:
    """rich and jinja2 load only when their format is used (``import secloop.cli`` stays fast)."""
    code = (
        "import sys, secloop.output.registry, secloop.output.interface\n"
        "heavy = sorted(m for m in ('rich', 'jinja2') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert completed.stdout.strip() == ""
