"""Name resolution: lists into lists, macros into conditions, list names into values.

Falco's visibility rules, applied here:

1. A list item that names a list expands to that list's items when the named list
   was first defined before this list's latest definition (``index < visibility``);
   otherwise it stays a plain string. This is what turns a list loop into a plain,
   visible error instead of endless expansion.
2. A macro may use macros first defined before its latest definition; a rule may
   use every macro. A reference to an unknown macro, or a macro that reaches itself,
   is an error.
3. Inside a value list ``(a, b)`` an item naming a list becomes that list's items;
   a bare value of a scalar comparison that names a one-item list becomes the item
   (``proc.name=cat_binaries``), as Falco's legacy tests expect.
"""

from __future__ import annotations

from collections.abc import Mapping

from secloop.runtime.errors import ConditionSyntaxError
from secloop.runtime.rules.ast import (
    And,
    Compare,
    ListLiteral,
    Literal,
    Macro,
    MacroRef,
    Node,
    Not,
    Or,
)
from secloop.runtime.rules.model import ListDef, MacroDef
from secloop.runtime.rules.parser import parse_value_text

__all__ = ["MacroResolver", "ResolveError", "compile_lists", "flatten"]


class ResolveError(Exception):
    """An undefined or looping macro; ``offset`` is in the text being resolved."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def compile_lists(lists: Mapping[str, ListDef]) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """Every list with its list references expanded; also the names referenced by lists."""
    compiled: dict[str, tuple[str, ...]] = {}
    used: set[str] = set()
    for entry in sorted(lists.values(), key=lambda item: item.index):
        items: list[str] = []
        for item in entry.items:
            ref = lists.get(item)
            if ref is not None and ref.index < entry.visibility:
                used.add(ref.name)
                items.extend(compiled.get(ref.name, ref.items))
            else:
                items.append(item)
        compiled[entry.name] = tuple(items)
    return compiled, used


class MacroResolver:
    """Expands macro references and list names in parsed conditions."""

    def __init__(
        self,
        macros: Mapping[str, MacroDef],
        parsed: Mapping[str, Node | None],
        lists: Mapping[str, tuple[str, ...]],
    ) -> None:
        self._macros = macros
        self._parsed = parsed
        self._lists = lists
        self.used_macros: set[str] = set()
        self.used_lists: set[str] = set()

    def expand(self, node: Node, visibility: int | None = None) -> Node:
        """``node`` with macros and list names expanded; raises ResolveError."""
        return self._expand(node, visibility, ())

    def _expand(self, node: Node, visibility: int | None, stack: tuple[str, ...]) -> Node:
        if isinstance(node, And):
            return And(tuple(self._expand(c, visibility, stack) for c in node.children))
        if isinstance(node, Or):
            return Or(tuple(self._expand(c, visibility, stack) for c in node.children))
        if isinstance(node, Not):
            return Not(self._expand(node.child, visibility, stack), node.offset)
        if isinstance(node, Macro):
            return node
        if isinstance(node, MacroRef):
            return self._macro(node, visibility, stack)
        return self._values(node)

    def _macro(self, ref: MacroRef, visibility: int | None, stack: tuple[str, ...]) -> Node:
        macro = self._macros.get(ref.name)
        if macro is None or (visibility is not None and macro.index >= visibility):
            raise ResolveError(f"Undefined macro '{ref.name}' used in filter.", ref.offset)
        if ref.name in stack:
            path = " -> ".join((*stack, ref.name))
            raise ResolveError(f"reference loop in macro '{ref.name}' ({path})", ref.offset)
        body = self._parsed.get(ref.name)
        if body is None:
            raise ResolveError(f"macro '{ref.name}' has errors", ref.offset)
        self.used_macros.add(ref.name)
        try:
            expanded = self._expand(body, macro.visibility, (*stack, ref.name))
        except ResolveError as err:
            if err.message.startswith("reference loop"):
                raise ResolveError(err.message, ref.offset) from err
            raise ResolveError(f"{err.message} (in macro '{ref.name}')", ref.offset) from err
        return Macro(ref.name, expanded, ref.offset)

    def _values(self, node: Compare) -> Compare:
        rhs = node.rhs
        if isinstance(rhs, ListLiteral):
            items: list[Literal] = []
            for item in rhs.items:
                items.extend(self._list_items(item))
            return Compare(node.lhs, node.op, ListLiteral(tuple(items), rhs.offset), node.offset)
        if isinstance(rhs, Literal) and not rhs.quoted and rhs.text in self._lists:
            values = self._lists[rhs.text]
            self.used_lists.add(rhs.text)
            if len(values) == 1:
                return Compare(node.lhs, node.op, _literal(values[0], rhs.offset), node.offset)
        return node

    def _list_items(self, item: Literal) -> list[Literal]:
        values = self._lists.get(item.text)
        if values is None:
            return [item]
        self.used_lists.add(item.text)
        return [_literal(value, item.offset) for value in values]


def _literal(text: str, offset: int) -> Literal:
    """A list item as a value: a quoted item (``'"a b"'``) is read as the string inside."""
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]:
        try:
            parsed = parse_value_text(text)
        except ConditionSyntaxError:
            return Literal(text, offset)
        return Literal(parsed.text, offset, quoted=True)
    return Literal(text, offset)


def flatten(node: Node) -> Node:
    """Macros dissolved and nested and/or merged: the shape the compiler evaluates fastest."""
    if isinstance(node, Macro):
        return flatten(node.body)
    if isinstance(node, Not):
        return Not(flatten(node.child), node.offset)
    if isinstance(node, And | Or):
        kind = type(node)
        children: list[Node] = []
        for child in node.children:
            flat = flatten(child)
            if isinstance(flat, kind):
                children.extend(flat.children)
            else:
                children.append(flat)
        return kind(tuple(children))
    return node
