"""Import-alias resolution: what a local name means, so rules match on real qualnames.

``from subprocess import run as r`` makes ``r(...)`` a call of ``subprocess.run``, and
``import yaml as y`` makes ``y.load`` mean ``yaml.load``. Rules compare qualified names
only, which is why aliasing cannot hide a sink from them, and why a user-defined
function that merely shares a sink's short name (``def eval(self)``) is not mistaken
for the builtin.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

__all__ = ["ImportTable", "dotted_name"]


def dotted_name(expr: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None (calls, subscripts, literals)."""
    parts: list[str] = []
    node: ast.expr = expr
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement, without descending into expressions: imports are statements,
    and skipping expressions makes this pass a fraction of a full ``ast.walk``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in _BODY_FIELDS:
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(child for child in children if isinstance(child, ast.AST))


class ImportTable:
    """Local name -> qualified name, collected from every import in a module.

    Imports are collected in one pass over the whole tree before rules run, so an
    import inside a function still resolves: a scanner reads code, it does not run it,
    and flow-sensitive import scoping would only add misses.
    """

    __slots__ = ("_names",)

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    @classmethod
    def from_tree(cls, tree: ast.AST) -> ImportTable:
        table = cls()
        for node in _statements(tree):
            if isinstance(node, ast.Import):
                table.add_import(node)
            elif isinstance(node, ast.ImportFrom):
                table.add_from(node)
        return table

    def add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self._names[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self._names[top] = top

    def add_from(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            self._names[alias.asname or alias.name] = f"{module}.{alias.name}"

    def imports(self, prefix: str) -> bool:
        """True when any import resolves to ``prefix`` or something inside it."""
        return any(q == prefix or q.startswith(prefix + ".") for q in self._names.values())

    def is_imported(self, local: str) -> bool:
        return local in self._names

    def qualname(self, expr: ast.expr) -> str | None:
        """The qualified name of a Name/Attribute chain; unimported heads stay as written."""
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        resolved = self._names.get(head, head)
        return f"{resolved}.{rest}" if rest else resolved
