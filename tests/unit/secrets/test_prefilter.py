"""The RE2 keyword set and the Aho-Corasick fallback choose the same candidates."""

from __future__ import annotations

import re

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


TEXTS.append("twilio SID: SK" + "0123456789abcdef" * 2)  # FAKE, wakes the pattern rule
PATTERN_RULES = {i for i, r in enumerate(ALL_RULES) if r.prefilter_patterns}


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_backends_agree(text: str) -> None:
    """Same candidates, except that RE2 also checks prefilter patterns (the automaton
    cannot, so it runs those rules on every text)."""
    fast = KeywordPrefilter(ALL_RULES)
    slow = KeywordPrefilter(ALL_RULES, use_re2=False)
    assert slow.backend == "aho-corasick"
    fast_found, slow_found = fast.candidates(text), slow.candidates(text)
    assert slow_found.keys() >= PATTERN_RULES
    for index in PATTERN_RULES:
        patterns = ALL_RULES[index].prefilter_patterns
        encodable = "\udcff" not in text
        woken = any(re.search(p, text, re.IGNORECASE) for p in patterns) or not encodable
        assert (index in fast_found) == woken
    assert {k: v for k, v in fast_found.items() if k not in PATTERN_RULES} == {
        k: v for k, v in slow_found.items() if k not in PATTERN_RULES
    }


def test_pattern_rules_need_re2_or_run_everywhere() -> None:
    assert PATTERN_RULES, "the Twilio SID rule is woken by its shape"
    slow = KeywordPrefilter(ALL_RULES, use_re2=False)
    assert slow.candidates("nothing here").keys() >= PATTERN_RULES
    pytest.importorskip("re2")
    fast = KeywordPrefilter(ALL_RULES)
    assert not PATTERN_RULES & fast.candidates("nothing here").keys()


def test_re2_is_used_when_installed() -> None:
    pytest.importorskip("re2")
    assert KeywordPrefilter(ALL_RULES).backend == "re2-set"


def test_a_prefilter_pattern_needs_a_keyword_less_rule() -> None:
    from secloop.core.severity import Severity
    from secloop.scan.secrets.model import SecretRule, token

    with pytest.raises(ValueError, match="prefilter patterns are for keyword-less rules"):
        SecretRule(
            id="SECRET-TEST",
            title="t",
            severity=Severity.LOW,
            keywords=("sk",),
            pattern=token("SK[0-9a-f]{32}"),
            prefilter_patterns=("sk[0-9a-f]{32}",),
        )
