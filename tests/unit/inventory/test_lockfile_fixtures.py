r"""Every lockfile analyzer against osv-scanner's fixtures (osv-lockfile-fixtures).

``expected.json`` gives the exact package list per fixture, or the expected error.
Comparison is on the set of (name, version): osv-scanner reports a git dependency
once per commit, secloop once per (name, version). Documented deviations:

* requirements files: only exact ``==`` pins are packages (osv-scanner reports ranges
  as their bound and unpinned names as ``0.0.0``; guessing versions invents or hides
  vulnerabilities), and ``-r`` includes are not followed (the walk analyses each file).
* ``line-continuation.txt``: ``bar == 4.5\\`` continued by ``.6`` joins, as pip joins
  it, into ``bar == 4.5\.6``, which pip rejects as an invalid requirement; osv-scanner
  reads ``4.5\\``. secloop reports no package rather than an impossible version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory.cargo import parse_cargo_lock
from secloop.scan.inventory.composer import parse_composer_lock
from secloop.scan.inventory.gemfile import parse_gemfile_lock
from secloop.scan.inventory.gomod import parse_go_mod
from secloop.scan.inventory.npm import parse_npm_lock
from secloop.scan.inventory.pipenv import parse_pipfile_lock
from secloop.scan.inventory.pnpm import parse_pnpm_lock
from secloop.scan.inventory.poetry import parse_poetry_lock
from secloop.scan.inventory.requirements import parse_requirements
from secloop.scan.inventory.yarn import parse_yarn_lock
from tests.conftest import CORPUS_ROOT, corpus_path

Parser = Callable[[str, str], tuple[Package, ...]]

PARSERS: dict[str, Parser] = {
    "ParseRequirementsTxt": parse_requirements,
    "ParsePoetryLock": parse_poetry_lock,
    "ParsePipenvLock": parse_pipfile_lock,
    "ParseNpmLock": parse_npm_lock,
    "ParseYarnLock": parse_yarn_lock,
    "ParsePnpmLock": parse_pnpm_lock,
    "ParseGoLock": parse_go_mod,
    "ParseCargoLock": parse_cargo_lock,
    "ParseGemfileLock": parse_gemfile_lock,
    "ParseComposerLock": parse_composer_lock,
}
FIXTURES = CORPUS_ROOT / "osv-lockfile-fixtures"
INVALID_REQUIREMENTS = {"line-continuation": {"bar"}}


def _records() -> list[dict[str, Any]]:
    expected = FIXTURES / "expected.json"
    if not expected.exists():
        return []
    records = json.loads(expected.read_text())
    # "expected_error" is fs.ErrNotExist: a missing file, or a missing -r include that
    # secloop does not follow; neither reaches an analyzer.
    return [
        r
        for r in records
        if r["parser"] in PARSERS and r.get("fixture_exists", True) and not r.get("expected_error")
    ]


def _pinned_names(text: str) -> set[str]:
    """Names written with an exact ``==`` pin in a requirements fixture."""
    names = set()
    for line in text.replace("\\\n", "").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^]]*\])?\s*==(?!=)\s*[0-9]", line)
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def _expected(record: dict[str, Any], text: str) -> set[tuple[str, str]]:
    packages = record["expected_packages"]
    if record["parser"] == "ParseRequirementsTxt":
        stem = Path(record["fixture"]).stem
        pinned = _pinned_names(text)
        packages = [
            p
            for p in packages
            if stem in (p.get("DepGroups") or [stem])
            and p["Name"] in pinned
            and p["Name"] not in INVALID_REQUIREMENTS.get(stem, set())
        ]
    return {(p["Name"], p["Version"]) for p in packages}


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{r['parser']}:{r['fixture']}")
def test_fixture_gives_the_expected_packages_or_error(record: dict[str, Any]) -> None:
    path = corpus_path("osv-lockfile-fixtures", record["fixture"])
    text = path.read_text(encoding="utf-8")
    parse = PARSERS[record["parser"]]
    error = record.get("expected_error_containing")
    if error:
        with pytest.raises(ScanError, match=re.escape(record["fixture"])):
            parse(text, record["fixture"])
        return
    packages = parse(text, record["fixture"])
    assert {(p.name, p.version) for p in packages} == _expected(record, text)
    assert all(p.locations[0].path == record["fixture"] for p in packages)
