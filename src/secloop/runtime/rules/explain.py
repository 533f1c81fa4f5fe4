""" "Why it matched": the sub-conditions of a rule that were true for an event.

The engine evaluates one generated function per rule (see ``compiler``), which
says *whether* a rule holds but not *why*. When a rule has matched, the
:class:`Explainer` walks the rule's expanded condition tree (macros kept under
their names) with a tracing evaluator and lists every reason it held:

* a true comparison, with the field's actual value:
  ``ka.verb in (create, update) [ka.verb=create]``;
* the macros it was found in, as a path: ``kevt > kcreate: ka.verb=create [...]``;
* a negation that held (``not`` and rule exceptions), as what was *not* true:
  ``not (ka.target.namespace in (kube-system))``.

Only true branches are followed: inside an ``or`` the alternatives that held,
inside an ``and`` every child (all of them held). Each comparison is compiled once
per rule, on the first explanation, so rules that never match cost nothing and the
hot path is untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secloop.runtime.event import Event
from secloop.runtime.fields.base import Catalogue, Extractor
from secloop.runtime.rules.ast import (
    And,
    Compare,
    FieldRef,
    ListLiteral,
    Literal,
    Macro,
    MacroRef,
    Node,
    Not,
    Or,
)
from secloop.runtime.rules.compiler import Predicate, compile_condition, field_getter
from secloop.runtime.rules.output import render_value

__all__ = ["Explainer", "render_condition"]

#: Bounds that keep one reason readable when a list or a value is long.
MAX_LIST_ITEMS = 8
MAX_TEXT = 160


@dataclass(frozen=True, slots=True)
class _Check:
    """A comparison ready to explain: the field it reads, its getter and its text."""

    field: str
    get: Extractor
    text: str


class Explainer:
    """Explains matches of rules evaluated on one source's catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._checks: dict[int, _Check] = {}
        self._nodes: dict[int, Predicate] = {}
        self._tracers: dict[int, _Tracer] = {}
        self._keep: list[Node] = []  # keeps ids in the caches above valid

    def explain(self, condition: Node, event: Event) -> tuple[str, ...]:
        """The reasons ``condition`` holds on ``event`` (empty when it does not hold)."""
        if not self._holds(condition, event):
            return ()
        return self.reasons(condition, event)

    def reasons(self, condition: Node, event: Event) -> tuple[str, ...]:
        """The reasons of a condition already known to hold (the engine's case)."""
        tracer = self._tracers.get(id(condition))
        if tracer is None:
            tracer = self._tracer(condition, ())
            self._tracers[id(condition)] = tracer
            self._keep.append(condition)
        found: list[str] = []
        tracer(event, found)
        return tuple(found)

    def _tracer(self, node: Node, path: tuple[str, ...]) -> _Tracer:
        """A function appending the reasons of ``node`` (known to hold) for an event.

        Built once per rule: the texts that do not depend on the event (macro paths,
        negations, comparisons) are formatted here, so explaining an alert costs the
        ``or`` branches' checks and one value rendering per true comparison. In JSON
        output every alert is explained, so this is on the hot path of a replay.
        """
        if isinstance(node, Macro):
            return self._tracer(node.body, (*path, node.name))
        if isinstance(node, And):
            return _all_of(tuple(self._tracer(child, path) for child in node.children))
        if isinstance(node, Or):
            return _true_ones(
                tuple(
                    (self._predicate(child), self._tracer(child, path)) for child in node.children
                )
            )
        if isinstance(node, Not):
            return _constant(_with_path(path, f"not {_clip(render_condition(node.child))}"))
        if isinstance(node, Compare):
            check = self._check(node)
            return _comparison(_with_path(path, f"{check.text} [{check.field}="), check.get)
        return _nothing

    def _holds(self, node: Node, event: Event) -> bool:
        return bool(self._predicate(node)(event))

    def _predicate(self, node: Node) -> Predicate:
        predicate = self._nodes.get(id(node))
        if predicate is None:
            predicate = compile_condition(node, self.catalogue)
            self._nodes[id(node)] = predicate
            self._keep.append(node)
        return predicate

    def _check(self, node: Compare) -> _Check:
        found = self._checks.get(id(node))
        if found is None:
            _, get = field_getter(node.lhs, self.catalogue)
            found = _Check(
                field=node.lhs.render(),
                get=get,
                text=_clip(render_condition(node)),
            )
            self._checks[id(node)] = found
            self._keep.append(node)
        return found


_Tracer = Callable[[Event, list[str]], None]


def _all_of(parts: tuple[_Tracer, ...]) -> _Tracer:
    def trace(event: Event, out: list[str]) -> None:
        for part in parts:
            part(event, out)

    return trace


def _true_ones(branches: tuple[tuple[Predicate, _Tracer], ...]) -> _Tracer:
    def trace(event: Event, out: list[str]) -> None:
        for holds, part in branches:
            if holds(event):
                part(event, out)

    return trace


def _constant(text: str) -> _Tracer:
    return lambda event, out: out.append(text)


def _comparison(prefix: str, get: Extractor) -> _Tracer:
    """``prefix`` is the comparison up to ``field=``; the value and ``]`` follow."""

    def trace(event: Event, out: list[str]) -> None:
        value = get(event)
        text = value if value.__class__ is str else render_value(value)
        if len(text) > MAX_TEXT:
            text = _clip(text)
        out.append(f"{prefix}{text}]")

    return trace


def _nothing(event: Event, out: list[str]) -> None:
    """Literals and unresolved references give no reason."""


def render_condition(node: Node) -> str:
    """A condition tree back as condition text (macros by name, long lists shortened)."""
    if isinstance(node, Macro | MacroRef):
        return node.name
    if isinstance(node, And | Or):
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(render_condition(child) for child in node.children) + ")"
    if isinstance(node, Not):
        return f"not {render_condition(node.child)}"
    if node.rhs is None:
        return f"{node.lhs.render()} {node.op.value}"
    return f"{node.lhs.render()} {node.op.value} {_operand(node.rhs)}"


def _operand(value: Literal | ListLiteral | FieldRef) -> str:
    if isinstance(value, FieldRef):
        return f"val({value.render()})"
    if isinstance(value, Literal):
        return _literal(value)
    items = [_literal(item) for item in value.items[:MAX_LIST_ITEMS]]
    hidden = len(value.items) - MAX_LIST_ITEMS
    if hidden > 0:
        items.append(f"... {hidden} more")
    return "(" + ", ".join(items) + ")"


def _literal(value: Literal) -> str:
    if value.quoted or not value.text or any(c in value.text for c in " ,()"):
        return '"' + value.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value.text


def _with_path(path: tuple[str, ...], text: str) -> str:
    return f"{' > '.join(path)}: {text}" if path else text


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."
