"""Module-level definitions: the classes a module defines and the names it binds once.

Rules that judge a value by what it *is* (a YAML loader class, say) need to look
through ``class MyLoader(yaml.SafeLoader)`` and ``_BASE = yaml.CSafeLoader`` in the
same module. Only the module body is read (top-level statements, including those under
``if``/``try``), so a name bound inside a function never shadows a module definition.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

__all__ = ["ModuleDefinitions"]

_BRANCH_FIELDS = ("body", "orelse", "finalbody", "handlers")


def _top_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Module statements, descending into ``if``/``try`` blocks but not into defs."""
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        if isinstance(node, ast.If | ast.Try | ast.ExceptHandler):
            for name in _BRANCH_FIELDS:
                stack.extend(reversed(getattr(node, name, [])))


class ModuleDefinitions:
    """Module-level class name -> its bases, and once-bound name -> its value.

    A name bound more than once at module level (or bound both as a class and a
    variable) is ambiguous and resolves to nothing: a scanner must not guess which
    binding is live at a given call.
    """

    __slots__ = ("_bases", "_values")

    def __init__(self) -> None:
        self._bases: dict[str, tuple[ast.expr, ...]] = {}
        self._values: dict[str, ast.expr] = {}

    @classmethod
    def from_tree(cls, tree: ast.AST) -> ModuleDefinitions:
        definitions = cls()
        if isinstance(tree, ast.Module):
            bound: set[str] = set()
            ambiguous: set[str] = set()
            for statement in _top_level(tree):
                definitions._add(statement, bound, ambiguous)
            for name in ambiguous:
                definitions._bases.pop(name, None)
                definitions._values.pop(name, None)
        return definitions

    def _add(self, statement: ast.stmt, bound: set[str], ambiguous: set[str]) -> None:
        name, value = _binding(statement)
        if name is None:
            return
        if name in bound:
            ambiguous.add(name)
        bound.add(name)
        if isinstance(statement, ast.ClassDef):
            self._bases[name] = tuple(statement.bases)
        elif value is not None:
            self._values[name] = value

    def class_bases(self, name: str) -> tuple[ast.expr, ...] | None:
        """The base expressions of module class ``name``; None when it is not one."""
        return self._bases.get(name)

    def value_of(self, name: str) -> ast.expr | None:
        """The expression a module-level name is bound to once; None otherwise."""
        return self._values.get(name)

    def defines(self, name: str) -> bool:
        return name in self._bases or name in self._values


def _binding(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """The name a statement binds at module level and, for assignments, its value."""
    match statement:
        case ast.ClassDef(name=name):
            return name, None
        case ast.Assign(targets=[ast.Name(id=name)], value=value):
            return name, value
        case ast.AnnAssign(target=ast.Name(id=name), value=ast.expr() as value):
            return name, value
        case ast.AugAssign(target=ast.Name(id=name)) | ast.Assign(targets=[ast.Name(id=name), *_]):
            return name, None
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name):
            return name, None
    return None, None
