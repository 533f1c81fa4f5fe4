"""The detection engine: evaluate the enabled rules of an event's source, raise alerts.

Per event:

1. pick the rules of the event's source;
2. prefilter: read the source's *key fields* (``evt.type`` for syscalls; ``ka.verb``,
   ``ka.target.resource`` and the audit stage for Kubernetes) and keep only rules whose
   top-level ``field = v`` / ``field in (...)`` checks admit those values. The
   candidate list per combination of key values is memoised (bounded);
3. evaluate candidates in load order. By default the first match wins, as in Falco
   (``rule_matching: first``); :attr:`RuleMatching.ALL` reports every match;
4. a rule that fails on an event (a bug, an odd value) is counted in
   :attr:`EngineStats.rule_errors` and skipped: the other rules keep running;
5. *detectors* (sequence rules, behaviour baselines) see every event after the
   rules and add their own alerts.

With ``explain=True`` each alert lists the sub-conditions that were true
(:mod:`secloop.runtime.rules.explain`), computed only for rules that matched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from secloop.runtime.event import Alert, Event
from secloop.runtime.fields import catalogue_for
from secloop.runtime.fields.base import Catalogue, Extractor
from secloop.runtime.rules.compiler import (
    CompileError,
    Predicate,
    compile_condition,
    constraints,
    residual,
)
from secloop.runtime.rules.explain import Explainer
from secloop.runtime.rules.resolve import flatten
from secloop.runtime.rules.ruleset import CompiledRule, Ruleset

__all__ = ["INDEX_KEYS", "Detector", "Engine", "EngineStats", "RuleMatching"]

INDEX_KEYS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "syscall": (("evt.type", None),),
    "k8s_audit": (
        ("ka.verb", None),
        ("ka.target.resource", None),
        ("jevt.value", "/stage"),
    ),
}
_MEMO_LIMIT = 65_536


class Detector(Protocol):
    """Anything else that raises alerts from the event stream (sequences, baselines)."""

    def process(self, event: Event) -> list[Alert]: ...


class RuleMatching(Enum):
    FIRST = "first"
    ALL = "all"


@dataclass(slots=True)
class EngineStats:
    events: int = 0
    alerts: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    rule_errors: Counter[str] = field(default_factory=Counter)
    no_rules_for_source: int = 0


Check = tuple[CompiledRule, Predicate]


@dataclass(slots=True)
class _Plan:
    """The rules of one source, how to prefilter them, and what is left to evaluate.

    ``checks`` pairs each rule with its *residual* predicate: the condition without
    the top-level key conjuncts the prefilter has already verified.
    """

    checks: tuple[Check, ...]
    keys: tuple[Extractor, ...]
    allowed: tuple[tuple[frozenset[str] | None, ...], ...]
    memo: dict[tuple[object, ...], tuple[Check, ...]] = field(default_factory=dict)
    key_of: Callable[[Event], tuple[object, ...]] = field(init=False)

    def __post_init__(self) -> None:
        self.key_of = _key_function(self.keys)

    def candidates(self, event: Event) -> tuple[Check, ...]:
        """The checks the event's key values admit (memoised); ``keys`` must not be empty."""
        key = self.key_of(event)
        found = self.memo.get(key)
        if found is None:
            found = tuple(
                check
                for check, allowed in zip(self.checks, self.allowed, strict=True)
                if all(a is None or v in a for a, v in zip(allowed, key, strict=True))
            )
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[key] = found
        return found


class Engine:
    """Evaluates a :class:`Ruleset` over events; stateless apart from counters and memo."""

    def __init__(
        self,
        ruleset: Ruleset,
        *,
        matching: RuleMatching = RuleMatching.FIRST,
        explain: bool = False,
        detectors: Iterable[Detector] = (),
    ) -> None:
        """``explain``: give each alert the sub-conditions that were true (costs per alert).

        ``detectors`` see every event after the rules (sequences, baselines); their
        alerts follow the rules' alerts and are counted with them.
        """
        self.ruleset = ruleset
        self.matching = matching
        self.detectors = tuple(detectors)
        self.stats = EngineStats()
        self._plans = {
            source: _plan(source, rules) for source, rules in ruleset.by_source().items()
        }
        self._explainers = (
            {source: Explainer(catalogue_for(source)) for source in self._plans} if explain else {}
        )

    def process(self, event: Event) -> list[Alert]:
        """The alerts ``event`` raises (at most one with first-match semantics)."""
        self.stats.events += 1
        alerts: list[Alert] = []
        plan = self._plans.get(event.source)
        if plan is None:
            self.stats.no_rules_for_source += 1
        else:
            # The plan's memo, read inline: one call less per event than candidates().
            checks = plan.memo.get(plan.key_of(event)) if plan.keys else plan.checks
            if checks is None:
                checks = plan.candidates(event)
            for rule, predicate in checks:
                try:
                    hit = predicate(event)
                except Exception:  # noqa: BLE001 - one failing rule must not stop the others
                    self.stats.rule_errors[rule.name] += 1
                    continue
                if hit:
                    alerts.append(self._alert(rule, event))
                    if self.matching is RuleMatching.FIRST:
                        break
        if self.detectors:
            alerts.extend(self._detected(event))
        return alerts

    def _detected(self, event: Event) -> list[Alert]:
        found: list[Alert] = []
        for detector in self.detectors:
            for alert in detector.process(event):
                self.stats.alerts += 1
                self.stats.by_rule[alert.rule] += 1
                found.append(alert)
        return found

    def run(self, events: Iterable[Event]) -> Iterator[Alert]:
        for event in events:
            yield from self.process(event)

    def _alert(self, rule: CompiledRule, event: Event) -> Alert:
        """The alert of ``rule`` on ``event``; its output is rendered when first read."""
        self.stats.alerts += 1
        self.stats.by_rule[rule.name] += 1
        explainer = self._explainers.get(event.source) if self._explainers else None
        return Alert.deferred(
            rule=rule.name,
            priority=rule.priority,
            rendering=rule.output.render,
            event=event,
            tags=rule.tags,
            explanation=() if explainer is None else explainer.reasons(rule.condition, event),
        )


def _plan(source: str, rules: list[CompiledRule]) -> _Plan:
    catalogue = catalogue_for(source)
    wanted = INDEX_KEYS.get(source, ())
    found = [constraints(rule.condition, catalogue, wanted) for rule in rules]
    keys = tuple(key for key in wanted if any(key in f for f in found))
    allowed = tuple(tuple(f.get(key) for key in keys) for f in found)
    extractors = tuple(catalogue.extractor(name, arg) for name, arg in keys)
    checks = tuple((rule, _residual(rule, catalogue, keys)) for rule in rules)
    return _Plan(checks, extractors, allowed)


def _residual(
    rule: CompiledRule, catalogue: Catalogue, keys: tuple[tuple[str, str | None], ...]
) -> Predicate:
    """The rule's predicate less the conjuncts the prefilter checks (the full one if no keys)."""
    if not keys:
        return rule.predicate
    try:
        return compile_condition(flatten(residual(rule.condition, catalogue, keys)), catalogue)
    except CompileError:  # pragma: no cover - the full condition compiled at load
        return rule.predicate


def _key_function(keys: tuple[Extractor, ...]) -> Callable[[Event], tuple[object, ...]]:
    """The prefilter key of an event: one tuple display for the usual one to three keys."""
    if len(keys) == 1:
        (first,) = keys
        return lambda event: (first(event),)
    if len(keys) == 2:
        first, second = keys
        return lambda event: (first(event), second(event))
    if len(keys) == 3:
        first, second, third = keys
        return lambda event: (first(event), second(event), third(event))
    return lambda event: tuple([get(event) for get in keys])
