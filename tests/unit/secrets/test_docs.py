"""docs/rules/secrets.md is generated from the rule table and must be up to date."""

from __future__ import annotations

from pathlib import Path

from secloop.scan.secrets import ALL_RULES
from secloop.scan.secrets.docs import render_markdown
from secloop.scan.secrets.structural import STRUCTURAL_RULES

PAGE = Path(__file__).resolve().parents[3] / "docs" / "rules" / "secrets.md"


def test_rules_page_is_up_to_date() -> None:
    expected = render_markdown()
    assert PAGE.read_text(encoding="utf-8") == expected, (
        "regenerate with: .venv/bin/python -m secloop.scan.secrets.docs > docs/rules/secrets.md"
    )


def test_every_rule_has_a_section() -> None:
    page = render_markdown()
    assert all(f"## {rule.id}\n" in page for rule in ALL_RULES)
    assert all(f"## {rule.id}\n" in page for rule in STRUCTURAL_RULES)
