"""osv-records/expected-matches-npm.json: the goat lockfile's 7 matches, none in the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.scan.interface import Inventory
from secloop.scan.inventory.npm import parse_npm_lock
from secloop.scan.vuln import VulnerabilityScanner
from secloop.vulndb.importer import import_path
from tests.conftest import CORPUS_ROOT, corpus_path

EXPECTED = CORPUS_ROOT / "osv-records" / "expected-matches-npm.json"


def _lockfiles() -> list[str]:
    return sorted(json.loads(EXPECTED.read_text())) if EXPECTED.exists() else []


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "vulndb.sqlite"
    outcome = import_path(corpus_path("osv-records", "npm"), path)
    assert outcome.report.advisories == 7
    return path


@pytest.mark.parametrize("lockfile", _lockfiles())
def test_lockfile_gives_exactly_the_expected_matches(lockfile: str, db_path: Path) -> None:
    expected = json.loads(EXPECTED.read_text())[lockfile]["expected_matches"]
    text = corpus_path(lockfile).read_text(encoding="utf-8")
    packages = parse_npm_lock(text, "package-lock.json")
    findings = VulnerabilityScanner(db_path).scan_inventory(Inventory(packages=packages))
    got = {
        (f.package.name, f.package.version, f.rule_id, f.vulnerability.aliases)
        for f in findings
        if f.package is not None and f.vulnerability is not None
    }
    want = {(m["package"], m["version"], m["advisory"], tuple(m["aliases"])) for m in expected}
    assert got == want
