"""The plugin's contract: metadata of every rule, file selection, registry, docs page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secloop.core.finding import FindingKind
from secloop.core.rule import Rule
from secloop.scan.code.python.docs import render_markdown
from secloop.scan.code.python.rules import ALL_RULES
from secloop.scan.code.python.scanner import MAX_FILE_BYTES, PythonCodeScanner
from secloop.scan.interface import FileEntry
from secloop.scan.registry import default_registry

DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules" / "python.md"


def test_rule_ids_are_unique_and_stable_shaped() -> None:
    ids = [rule.id for rule in ALL_RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"PY-[A-Z]+-\d{3}", rule_id) for rule_id in ids)


@pytest.mark.parametrize("meta", PythonCodeScanner().rules(), ids=lambda r: r.id)
def test_rule_metadata_is_complete(meta: Rule) -> None:
    assert meta.kind is FindingKind.CODE
    assert meta.description
    assert meta.remediation
    assert meta.references
    assert all(c.startswith("CWE-") for c in meta.frameworks["cwe"])
    assert re.fullmatch(r"A\d\d:2021 .+", meta.frameworks["owasp-top10-2021"][0])
    assert set(meta.peers) <= {"bandit", "semgrep"}


def test_applies_to_python_sources_only() -> None:
    scanner = PythonCodeScanner()
    assert scanner.applies_to(FileEntry(path="app/main.py", size=10))
    assert not scanner.applies_to(FileEntry(path="app/main.pyi", size=10))
    assert not scanner.applies_to(FileEntry(path="app/main.pyc", size=10))
    assert not scanner.applies_to(FileEntry(path="gen/big.py", size=MAX_FILE_BYTES + 1))


def test_registered_and_selectable_as_sast() -> None:
    registry = default_registry()
    selected = registry.select_scanners(["sast"])
    assert any(isinstance(s, PythonCodeScanner) for s in selected)
    assert [s.name for s in registry.select_scanners(["python"])] == ["python"]


def test_docs_page_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "regenerate: python -m secloop.scan.code.python.docs docs/rules/python.md"
    )


def test_engine_applies_secloop_ignore(tmp_path: Path) -> None:
    from secloop.scan.engine import ScanRequest, run_scan

    (tmp_path / "tool.py").write_text(
        "import os\n\n\ndef run(cmd):\n"
        "    os.system(cmd)  # secloop:ignore PY-CMDI-002 admin-only tool, input is trusted\n"
        "    os.popen(cmd)\n",
        encoding="utf-8",
    )
    request = ScanRequest(spec=str(tmp_path), scanners=("python",))
    result = run_scan(request, default_registry())
    by_line = {f.location.start_line: f for f in result.findings}
    assert by_line[5].suppressed
    assert not by_line[6].suppressed
    assert by_line[5].fingerprint != by_line[6].fingerprint
