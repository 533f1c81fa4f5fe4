"""The generated rule pages are up to date with the rule metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.scan.misconfig.docs import PAGES, render_page

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("relative", sorted(PAGES))
def test_rule_docs_are_current(relative: str) -> None:
    title, introduction, rules = PAGES[relative]
    expected = render_page(title, introduction, rules)
    actual = (ROOT / relative).read_text(encoding="utf-8")
    assert actual == expected, f"{relative} is stale: run python -m secloop.scan.misconfig.docs"


def test_every_rule_is_documented_with_peers_in_the_peer_format() -> None:
    for _title, _intro, rules in PAGES.values():
        for rule in rules:
            assert rule.description
            assert rule.remediation
            assert rule.references
            pss = rule.peers.get("pss")
            assert pss is None or pss.split(":")[0] in {"baseline", "restricted"}
