"""The bundled example, scanned by the real ``secloop`` process with every shipped scanner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT, corpus_path

EXAMPLE = PROJECT_ROOT / "examples" / "shop"


def _secloop(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secloop", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
        timeout=300,
        env={**os.environ, "SECLOOP_DB": str(db)},
    )


@pytest.fixture(scope="module")
def vulndb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real vulnerability database built from the PyPA advisories of the corpus."""
    advisories = corpus_path("pypa-advisory-database")
    db = tmp_path_factory.mktemp("vulndb") / "vulndb.sqlite"
    completed = _secloop("db", "import", str(advisories), "--db", str(db), "--quiet", db=db)
    assert completed.returncode == 0, completed.stderr
    return db


@pytest.fixture(scope="module")
def sarif_log(vulndb: Path) -> dict[str, Any]:
    completed = _secloop("scan", str(EXAMPLE), "--format", "sarif", "--quiet", db=vulndb)
    assert completed.returncode == 1, completed.stderr
    log: dict[str, Any] = json.loads(completed.stdout)
    return log


@pytest.fixture(scope="module")
def json_report(tmp_path_factory: pytest.TempPathFactory, vulndb: Path) -> Path:
    path = tmp_path_factory.mktemp("reports") / "shop.json"
    completed = _secloop(
        "scan", str(EXAMPLE), "--format", "json", "--output", str(path), "--quiet", db=vulndb
    )
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
    assert {"secret", "misconfiguration", "vulnerability", "code"} <= kinds
    assert not result.failed, result.failed


def test_the_documented_inline_suppression_applies(json_report: Path) -> None:
    document = json.loads(json_report.read_text())
    suppressed = [f for f in document["findings"] if "suppression" in f]
    assert any(
        f["suppression"]["kind"] == "inline" and f["location"]["path"] == "app/settings.py"
        for f in suppressed
    )


def test_documented_vulnerable_pins_are_matched(json_report: Path) -> None:
    document = json.loads(json_report.read_text())
    vulnerable = {
        f["package"]["name"].lower() for f in document["findings"] if f["kind"] == "vulnerability"
    }
    assert {"pyyaml", "jinja2", "urllib3", "requests"} <= vulnerable


def test_baseline_of_itself_passes_the_gate(json_report: Path, vulndb: Path) -> None:
    completed = _secloop("scan", str(EXAMPLE), "--baseline", str(json_report), "--quiet", db=vulndb)
    assert completed.returncode == 0, completed.stdout + completed.stderr
