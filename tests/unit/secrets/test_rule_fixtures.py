"""Each rule's FAILED fixture raises exactly that rule; each PASSED fixture raises nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from secloop.scan.secrets import ALL_RULES, default_engine

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "secrets"
RULE_IDS = sorted(rule.id for rule in ALL_RULES)


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.txt"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("secret_fixtures", FIXTURES / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.name)
def test_fixture_outcome(path: Path) -> None:
    rule_id, outcome, _ext = path.name.rsplit(".", 2)
    findings = default_engine().scan(path.read_text(encoding="utf-8"), path=path.name)
    fired = {f.rule_id for f in findings}
    if outcome == "failed":
        assert fired == {rule_id}, f"{path.name}: expected only {rule_id}, got {sorted(fired)}"
    else:
        assert outcome == "passed"
        assert not fired, f"{path.name}: near misses raised {sorted(fired)}"


def test_every_rule_has_both_fixtures() -> None:
    names = {p.name for p in _fixture_files()}
    missing = [
        f"{rule_id}.{outcome}.txt"
        for rule_id in RULE_IDS
        for outcome in ("failed", "passed")
        if f"{rule_id}.{outcome}.txt" not in names
    ]
    assert not missing


def test_fixtures_match_their_generator() -> None:
    """The checked-in files are what generate.py writes (no hand edits, no drift)."""
    generator = _generator()
    for rule_id in generator.all_rule_ids():
        failed, passed = generator.render(rule_id)
        assert (FIXTURES / f"{rule_id}.failed.txt").read_text(encoding="utf-8") == failed
        assert (FIXTURES / f"{rule_id}.passed.txt").read_text(encoding="utf-8") == passed
