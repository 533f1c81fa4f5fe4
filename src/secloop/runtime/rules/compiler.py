"""Compile a resolved condition tree into a Python predicate, and find its prefilter keys.

Every check becomes a closure that extracts its field (memoised on the event),
applies transformers, and calls a prebuilt matcher; ``and``/``or``/``not`` become
short-circuiting closures over their children. A field the event does not carry
makes the check false, whatever the operator (Falco's rule), so only
``not f exists`` and negations hold on missing data.

:func:`constraints` reads the top-level conjunction for ``field = v`` and
``field in (...)`` checks: the engine uses them to skip, per event, every rule
that cannot match (Falco's event-type index, generalised to ``ka.verb`` and friends).
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from secloop.runtime.event import Event, FieldValue
from secloop.runtime.fields.base import Catalogue, Extractor, FieldSpec, FieldType
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
    Op,
    Or,
    Transformer,
)
from secloop.runtime.rules.matchers import MatchError, build_matcher, coerce, list_matcher

__all__ = [
    "CompileError",
    "Predicate",
    "compile_condition",
    "constraints",
    "field_getter",
    "residual",
]

Predicate = Callable[[Event], bool]
Transform = Callable[[FieldValue], FieldValue | None]

_UNREAD = object()  # a rule-local field not extracted yet
_STRINGY = (FieldType.STRING, FieldType.BYTES, FieldType.IPADDR, FieldType.IPNET)


class CompileError(Exception):
    """A check that cannot be compiled; ``unknown_field`` is set when a field does not exist."""

    def __init__(self, message: str, offset: int, *, unknown_field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.unknown_field = unknown_field


def compile_condition(
    node: Node, catalogue: Catalogue, event_types: frozenset[str] | None = None
) -> Predicate:
    """The predicate of a flattened tree (see ``resolve.flatten``); raises CompileError.

    The tree becomes the source of one Python function (``return a and (b or not c)``)
    compiled with :func:`compile`: a rule costs one call per event instead of one call
    per ``and``/``or``/check. Safety: the generated text is made only of fixed
    keywords and operators and of identifiers this module invents (``_g4``, ``_k5``,
    ``_x6``, ``v``, ``e``). Every value that comes from a rules file (strings, lists,
    numbers, regexes, matchers, extractors) is bound to such an identifier in the
    code's private namespace and never spelled into the source, not even through
    ``repr``, so no rule text can become code. The namespace has no builtins. A tree
    too deep for Python's compiler falls back to nested closures with the same meaning.
    """
    tree = _Compiler(catalogue, event_types).node(node)
    return _Emitter().predicate(tree)


@dataclass(frozen=True, slots=True)
class _Leaf:
    """One compiled check: a shape from :data:`_SHAPES`, its getter and its operand."""

    shape: str
    get: Callable[[Event], object]
    operand: object = None


@dataclass(frozen=True, slots=True)
class _Branch:
    """``and``, ``or`` (several children) or ``not`` (one child)."""

    kind: str
    children: tuple[_Tree, ...]


_Tree = _Leaf | _Branch

# shape -> (source template, closure factory); ``{f}`` reads the field, ``{k}`` the operand.
_SHAPES: dict[str, tuple[str, Callable[[Callable[[Event], Any], Any], Predicate]]] = {
    "exists": ("({f} is not None)", lambda g, k: lambda e: g(e) is not None),
    "eq": ("({f} == {k})", lambda g, k: lambda e: g(e) == k),
    "in": ("({f} in {k})", lambda g, k: lambda e: g(e) in k),
    "startswith": (
        "(_isinstance(v := {f}, _str) and v.startswith({k}))",
        lambda g, k: lambda e: isinstance(v := g(e), str) and v.startswith(k),
    ),
    "contains": (
        "(_isinstance(v := {f}, _str) and {k} in v)",
        lambda g, k: lambda e: isinstance(v := g(e), str) and k in v,
    ),
    "match": (
        "((v := {f}) is not None and {k}(v))",
        lambda g, k: lambda e: (v := g(e)) is not None and k(v),
    ),
    "pred": ("{f}", lambda g, k: g),
}


class _Emitter:
    """Writes a tree as one function over names bound in a private namespace.

    A field read by several checks of the rule is extracted once per call into a
    local (``_x3``), the others are read in place; both short-circuit as before.
    """

    def __init__(self) -> None:
        self.namespace: dict[str, object] = {
            "__builtins__": {},
            "_str": str,
            "_isinstance": isinstance,
            "_M": _UNREAD,
        }
        self.ids: dict[int, str] = {}
        self.uses: Counter[int] = Counter()
        self.locals: list[str] = []

    def predicate(self, tree: _Tree) -> Predicate:
        self.count(tree)
        try:
            body = self.expr(tree)
            init = f"    {' = '.join(self.locals)} = _M\n" if self.locals else ""
            source = f"def _predicate(e):\n{init}    return {body}\n"
            # Safe: see the module docstring; rule values never enter the source.
            # secloop:ignore PY-CODE-002 only fixed keywords and generated names in source
            exec(compile(source, "<rule condition>", "exec"), self.namespace)  # noqa: S102
        except (SyntaxError, RecursionError, MemoryError):
            return _closure(tree)
        return self.namespace["_predicate"]  # type: ignore[return-value]

    def count(self, tree: _Tree) -> None:
        if isinstance(tree, _Leaf):
            if tree.shape != "pred":
                self.uses[id(tree.get)] += 1
            return
        for child in tree.children:
            self.count(child)

    def bind(self, prefix: str, value: object) -> str:
        name = self.ids.get(id(value))
        if name is None:
            name = f"_{prefix}{len(self.namespace)}"
            self.namespace[name] = value
            self.ids[id(value)] = name
        return name

    def fetch(self, leaf: _Leaf) -> str:
        getter = self.bind("g", leaf.get)
        if leaf.shape == "pred" or self.uses[id(leaf.get)] < 2:
            return f"{getter}(e)"
        local = "_x" + getter[2:]
        if local not in self.locals:
            self.locals.append(local)
        return f"({local} if {local} is not _M else ({local} := {getter}(e)))"

    def expr(self, tree: _Tree) -> str:
        if isinstance(tree, _Leaf):
            template = _SHAPES[tree.shape][0]
            return template.format(f=self.fetch(tree), k=self.bind("k", tree.operand))
        parts = [self.expr(child) for child in tree.children]
        if not parts:  # an empty conjunction holds, an empty disjunction does not
            return "True" if tree.kind == "and" else "False"
        if tree.kind == "not":
            return f"(not {parts[0]})"
        return "(" + f" {tree.kind} ".join(parts) + ")"


def _closure(tree: _Tree) -> Predicate:
    if isinstance(tree, _Leaf):
        return _SHAPES[tree.shape][1](tree.get, tree.operand)
    children = [_closure(child) for child in tree.children]
    if tree.kind == "not":
        inner = children[0]
        return lambda event: not inner(event)
    return _all(children) if tree.kind == "and" else _any(children)


class _Compiler:
    def __init__(self, catalogue: Catalogue, event_types: frozenset[str] | None) -> None:
        self.catalogue = catalogue
        self.event_types = event_types

    def node(self, node: Node) -> _Tree:
        if isinstance(node, And | Or):
            kind = "and" if isinstance(node, And) else "or"
            children: list[_Tree] = []
            for child in node.children:
                built = self.node(child)
                if isinstance(built, _Branch) and built.kind == kind:
                    children.extend(built.children)  # (a and b) and c: one flat chain
                else:
                    children.append(built)
            return _Branch(kind, tuple(children))
        if isinstance(node, Not):
            return _Branch("not", (self.node(node.child),))
        if isinstance(node, Macro):
            return self.node(node.body)
        if isinstance(node, MacroRef):
            raise CompileError(f"Undefined macro '{node.name}' used in filter.", node.offset)
        return self.check(node)

    def check(self, check: Compare) -> _Leaf:
        spec, get = field_getter(check.lhs, self.catalogue)
        kind = _result_type(check.lhs, spec)
        if check.op is Op.EXISTS:
            return _Leaf("exists", get)
        rhs = check.rhs
        if isinstance(rhs, FieldRef):
            return _Leaf("pred", self._field_rhs(check, get, kind, rhs))
        values = [i.text for i in rhs.items] if isinstance(rhs, ListLiteral) else []
        if isinstance(rhs, Literal):
            values = [rhs.text]
        self._check_event_types(check, values)
        is_list = (spec.is_list or spec.any_match) and Transformer.LEN not in check.lhs.transformers
        fast = _set_check(check.op, kind, values, get, spec.any_match) if is_list else None
        if not is_list:
            fast = _fast_check(check.op, kind, values, get)
        if fast is not None:
            return fast
        try:
            element = build_matcher(check.op, kind, values)
        except MatchError as err:
            raise CompileError(
                f"{check.lhs.render()} {check.op.value}: {err}", check.offset
            ) from err
        if is_list:
            lifted = list_matcher(check.op if not spec.any_match else Op.INTERSECTS, element)
            return _Leaf("match", get, lifted)
        return _Leaf("match", get, element)

    def _field_rhs(
        self, check: Compare, get: Extractor, kind: FieldType, rhs: FieldRef
    ) -> Predicate:
        if check.op in (Op.PMATCH, Op.REGEX):
            raise CompileError(
                f"operator '{check.op.value}' doesn't support right-hand side fields", check.offset
            )
        _, other = field_getter(rhs, self.catalogue)
        op = check.op

        def compare(event: Event) -> bool:
            value, against = get(event), other(event)
            if value is None or against is None:
                return False
            texts = [str(v) for v in against] if isinstance(against, tuple) else [str(against)]
            try:
                return build_matcher(op, kind, texts)(value)
            except MatchError:
                return False

        return compare

    def _check_event_types(self, check: Compare, values: list[str]) -> None:
        if self.event_types is None or check.lhs.name != "evt.type" or check.lhs.transformers:
            return
        if check.op not in (Op.EQ, Op.NE, Op.IN, Op.INTERSECTS):
            return
        for value in values:
            if value not in self.event_types:
                raise CompileError(f"unknown event type {value}", check.offset)


def _fast_check(  # noqa: PLR0911 - one exit per fast shape
    op: Op, kind: FieldType, values: list[str], get: Extractor
) -> _Leaf | None:
    """One leaf for the commonest checks, skipping the matcher call (the hot path).

    ``None`` never equals nor belongs to a constant, so a missing field stays false.
    """
    if kind not in (FieldType.STRING, FieldType.INT, FieldType.BOOL):
        return None
    try:
        if op is Op.EQ:
            return _Leaf("eq", get, coerce(values[0], kind))
        if op in (Op.IN, Op.INTERSECTS):
            return _Leaf("in", get, frozenset(coerce(v, kind) for v in values))
    except MatchError:
        return None
    if kind is not FieldType.STRING:
        return None
    if op is Op.STARTSWITH:
        return _Leaf("startswith", get, values[0])
    if op is Op.CONTAINS:
        return _Leaf("contains", get, values[0])
    return None


def _set_check(
    op: Op, kind: FieldType, values: list[str], get: Extractor, any_match: bool
) -> _Leaf | None:
    """``in``/``intersects`` of a list field with constants, as one set operation.

    The same as lifting ``members.__contains__`` with :func:`list_matcher`: ``in``
    needs every value in the set (a subset test), ``intersects`` (and any operator on
    an ancestor field) at least one (not disjoint); scalars count as one-value lists.
    """
    if op not in (Op.IN, Op.INTERSECTS) or kind not in (FieldType.STRING, FieldType.INT):
        return None
    try:
        members = frozenset(coerce(v, kind) for v in values)
    except MatchError:
        return None  # the general path reports the error
    if op is Op.INTERSECTS or any_match:
        return _Leaf("match", get, lambda v: not members.isdisjoint(_items(v)))
    return _Leaf("match", get, lambda v: members.issuperset(_items(v)))


def _items(value: FieldValue) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,)


def _all(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda event: first(event) and second(event)

    def every(event: Event) -> bool:
        for predicate in predicates:  # noqa: SIM110 - a plain loop beats all() on the hot path
            if not predicate(event):
                return False
        return True

    return every


def _any(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda event: first(event) or second(event)

    def some(event: Event) -> bool:
        for predicate in predicates:  # noqa: SIM110 - a plain loop beats any() on the hot path
            if predicate(event):
                return True
        return False

    return some


def field_getter(ref: FieldRef, catalogue: Catalogue) -> tuple[FieldSpec, Extractor]:
    """The spec and the (transformed) extractor of a field reference; raises CompileError."""
    spec = catalogue.spec(ref.name)
    if spec is None:
        raise CompileError(
            f"filter_check called with nonexistent field {ref.name}",
            ref.offset,
            unknown_field=ref.name,
        )
    problem = catalogue.check_arg(ref.name, ref.arg)
    if problem is not None:
        raise CompileError(problem, ref.offset)
    get = catalogue.extractor(ref.name, ref.arg)
    kind = spec.type
    for transformer in ref.transformers:
        get, kind = _transformed(get, transformer, kind, ref)
    return spec, get


def _transformed(
    get: Extractor, transformer: Transformer, kind: FieldType, ref: FieldRef
) -> tuple[Extractor, FieldType]:
    if transformer is Transformer.LEN:
        return _apply(get, _length), FieldType.INT
    if kind not in _STRINGY:
        raise CompileError(
            f"transformer '{transformer.value}' is not supported on "
            f"{kind.value} field '{ref.name}'",
            ref.offset,
        )
    table: dict[Transformer, Callable[[str], str | None]] = {
        Transformer.TOLOWER: str.lower,
        Transformer.TOUPPER: str.upper,
        Transformer.B64: _b64,
        Transformer.BASENAME: _basename,
    }
    return _apply(get, _each(table[transformer])), FieldType.STRING


def _apply(get: Extractor, transform: Transform) -> Extractor:
    def extract(event: Event) -> FieldValue | None:
        value = get(event)
        return None if value is None else transform(value)

    return extract


def _each(function: Callable[[str], str | None]) -> Transform:
    def transform(value: FieldValue) -> FieldValue | None:
        if isinstance(value, tuple):
            out = [function(str(v)) for v in value]
            return tuple(v for v in out if v is not None)
        return function(str(value))

    return transform


def _length(value: FieldValue) -> FieldValue:
    return len(value) if isinstance(value, tuple | str) else len(str(value))


def _b64(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def _result_type(ref: FieldRef, spec: FieldSpec) -> FieldType:
    kind = spec.type
    for transformer in ref.transformers:
        kind = FieldType.INT if transformer is Transformer.LEN else FieldType.STRING
    return kind


def constraints(
    node: Node, catalogue: Catalogue, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], frozenset[str]]:
    """For each key field, the values it must take for ``node`` to hold (absent: any)."""
    wanted = set(keys)
    found: dict[tuple[str, str | None], frozenset[str]] = {}
    for conjunct in _conjuncts(node):
        allowed = _allowed(conjunct, catalogue, wanted)
        if allowed is None:
            continue
        key, values = allowed
        found[key] = values & found[key] if key in found else values
    return found


def residual(node: Node, catalogue: Catalogue, keys: Iterable[tuple[str, str | None]]) -> Node:
    """``node`` without the top-level conjuncts that :func:`constraints` turned into keys.

    When the engine's prefilter admits a rule, every such conjunct already holds (the
    key's value is in their intersection), so evaluating them again is wasted work.
    """
    wanted = set(keys)
    return And(tuple(c for c in _conjuncts(node) if _allowed(c, catalogue, wanted) is None))


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Macro):
        return _conjuncts(node.body)
    if isinstance(node, And):
        return [leaf for child in node.children for leaf in _conjuncts(child)]
    return [node]


def _allowed(  # noqa: PLR0911 - one exit per shape of check
    node: Node, catalogue: Catalogue, wanted: set[tuple[str, str | None]]
) -> tuple[tuple[str, str | None], frozenset[str]] | None:
    if isinstance(node, Macro):
        return _allowed(node.body, catalogue, wanted)
    if isinstance(node, Or):
        parts = [_allowed(child, catalogue, wanted) for child in node.children]
        if not parts or any(p is None for p in parts) or len({p[0] for p in parts if p}) != 1:
            return None
        key = parts[0][0] if parts[0] else ("", None)
        return key, frozenset().union(*(p[1] for p in parts if p))
    if not isinstance(node, Compare) or node.lhs.transformers:
        return None
    key = (node.lhs.name, node.lhs.arg)
    spec = catalogue.spec(node.lhs.name)
    if key not in wanted or spec is None or spec.is_list or spec.any_match:
        return None
    if spec.type is not FieldType.STRING:
        return None
    if node.op is Op.EQ and isinstance(node.rhs, Literal):
        return key, frozenset({node.rhs.text})
    if node.op in (Op.IN, Op.INTERSECTS) and isinstance(node.rhs, ListLiteral):
        return key, frozenset(item.text for item in node.rhs.items)
    return None
