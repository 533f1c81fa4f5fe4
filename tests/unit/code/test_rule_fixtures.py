"""Each rule's PASSED and FAILED fixture files, asserted file by file, line by line.

A failed fixture marks each line that must be reported with ``# expect: RULE-ID``;
the rule must fire on exactly those lines. A passed fixture holds the near misses
(constants, parametrised queries, safe loaders) and the rule must stay silent on it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secloop.scan.code.python.rules import ALL_RULES
from tests.unit.code.support import FIXTURES, rule_lines, scan_file

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9\-, ]+)")
RULE_IDS = sorted(rule.id for rule in ALL_RULES)


def _fixtures(prefix: str) -> list[Path]:
    return sorted(FIXTURES.glob(f"PY-*/{prefix}*.py"))


def _expected_lines(path: Path, rule_id: str) -> list[int]:
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match and rule_id in {r.strip() for r in match.group(1).split(",")}:
            lines.append(number)
    return lines


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_both_fixtures(rule_id: str) -> None:
    folder = FIXTURES / rule_id
    assert list(folder.glob("failed*.py")), f"{rule_id} has no failed fixture"
    assert list(folder.glob("passed*.py")), f"{rule_id} has no passed fixture"


@pytest.mark.parametrize("path", _fixtures("failed"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_failed_fixture_fires_on_marked_lines(path: Path) -> None:
    rule_id = path.parent.name
    expected = _expected_lines(path, rule_id)
    assert expected, f"{path} marks no line with '# expect: {rule_id}'"
    assert rule_lines(scan_file(path, FIXTURES), rule_id) == expected


@pytest.mark.parametrize("path", _fixtures("passed"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_passed_fixture_is_silent(path: Path) -> None:
    rule_id = path.parent.name
    assert rule_lines(scan_file(path, FIXTURES), rule_id) == []
