"""The RE2 keyword set and the Aho-Corasick fallback choose the same candidates."""

from __future__ import annotations

import pytest

from secloop.scan.secrets import ALL_RULES
from secloop.scan.secrets.prefilter import KeywordPrefilter
from tests.unit.secrets.test_rule_fixtures import FIXTURES

TEXTS = [
    "",
    "nothing to see here",
    "GHP_upper and Xoxb- mixed case, password = 'x' and api_key: y",
    "aws_secret_access_key = A\nAWS_SECRET_ACCESS_KEY = B\n" * 3,
    "İstanbul password = 'Zx81kPq2Lm4N'",  # lowercasing changes the length: whole-text runs
    "lone surrogate \udcff token = abc",  # RE2 cannot encode it: the automaton takes over
    *(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))[:60]),
]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_backends_agree(text: str) -> None:
    fast = KeywordPrefilter(ALL_RULES)
    slow = KeywordPrefilter(ALL_RULES, use_re2=False)
    assert slow.backend == "aho-corasick"
    assert fast.candidates(text) == slow.candidates(text)


def test_re2_is_used_when_installed() -> None:
    pytest.importorskip("re2")
    assert KeywordPrefilter(ALL_RULES).backend == "re2-set"
