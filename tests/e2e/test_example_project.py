"""The bundled example, scanned by the real ``secloop`` process with every shipped scanner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT, corpus_path

EXAMPLE = PROJECT_ROOT / "examples" / "shop"


def _secloop(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secloop", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def sarif_log() -> dict[str, Any]:
    completed = _secloop("scan", str(EXAMPLE), "--format", "sarif", "--quiet")
    assert completed.returncode == 1, completed.stderr
    log: dict[str, Any] = json.loads(completed.stdout)
    return log


@pytest.fixture(scope="module")
def json_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "shop.json"
    completed = _secloop("scan", str(EXAMPLE), "--format", "json", "--output", str(path), "--quiet")
    assert completed.returncode == 1, completed.stderr
    return path


def test_sarif_of_the_example_validates_against_the_official_schema(
    sarif_log: dict[str, Any],
) -> None:
    import jsonschema

    schema_path = corpus_path(
        "sarif", "sarif-spec", "sarif-2.1", "schema", "sarif-schema-2.1.0.json"
    )
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft7Validator(schema).validate(sarif_log)
    assert sarif_log["runs"][0]["results"]


def test_json_report_round_trips_and_covers_every_shipped_scanner_kind(json_report: Path) -> None:
    from secloop.output.interface import ReportContext
    from secloop.output.json_format import JsonFormatter, load_result

    text = json_report.read_text()
    result = load_result(text, source=str(json_report))
    assert JsonFormatter().render(result, ReportContext()) == text
    kinds = {f.kind.value for f in result.findings}
    assert {"secret", "misconfiguration"} <= kinds
    assert not result.failed, result.failed


def test_the_documented_inline_suppression_applies(json_report: Path) -> None:
    document = json.loads(json_report.read_text())
    suppressed = [f for f in document["findings"] if "suppression" in f]
    assert any(
        f["suppression"]["kind"] == "inline" and f["location"]["path"] == "app/settings.py"
        for f in suppressed
    )


def test_baseline_of_itself_passes_the_gate(json_report: Path) -> None:
    completed = _secloop("scan", str(EXAMPLE), "--baseline", str(json_report), "--quiet")
    assert completed.returncode == 0, completed.stdout + completed.stderr
