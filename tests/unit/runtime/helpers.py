"""Small builders shared by the runtime tests: one-rule rulesets and events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.event import Alert, Event
from secloop.runtime.rules.ruleset import Ruleset, load_rules_texts


def one_rule(
    condition: str, *, source: str = "syscall", prelude: str = "", output: str = "out"
) -> str:
    """A rules file with ``prelude`` (lists, macros) and one rule named ``r``."""
    return (
        f"{prelude}\n- rule: r\n  desc: d\n  condition: {json.dumps(condition)}\n"
        f"  output: {json.dumps(output)}\n  priority: WARNING\n  source: {source}\n"
    )


def ruleset(*texts: str) -> Ruleset:
    return load_rules_texts([(f"file{n}.yaml", text) for n, text in enumerate(texts, 1)])


def alerts(
    rules: Ruleset,
    payload: Mapping[str, Any],
    *,
    source: str = "syscall",
    matching: RuleMatching = RuleMatching.FIRST,
) -> list[Alert]:
    engine = Engine(rules, matching=matching)
    return engine.process(Event(source=source, time_ns=1_000_000_000, payload=dict(payload)))


def matches(
    condition: str, payload: Mapping[str, Any], *, source: str = "syscall", prelude: str = ""
) -> bool:
    """Whether ``condition`` holds on ``payload``; fails the test on load errors."""
    rules = ruleset(one_rule(condition, source=source, prelude=prelude))
    assert not rules.errors, [d.render() for d in rules.errors]
    return bool(alerts(rules, payload, source=source))
