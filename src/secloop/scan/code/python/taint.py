"""Intra-procedural taint: does request data reach this expression, and by which steps?

Sources are the request objects of Flask (``flask.request`` attributes), Django (the
``request`` parameter's ``GET``/``POST``/... attributes) and the parameters of
decorated route functions (FastAPI ``@app.get``, Flask ``@app.route`` path variables).
Taint moves through assignments, f-strings, ``+``, ``%``, ``.format``, subscripts,
attribute reads and calls; it stops at converters that leave no room for an
injection (``int``, ``float``, ``shlex.quote``, ``os.path.basename``,
``secure_filename``). The analysis is deliberately one function at a time: it is
fast, explainable in a finding, and precise enough that a reported flow is real.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from secloop.scan.code.python.imports import ImportTable

__all__ = ["FlowStep", "Taint", "TaintEnv", "source_of", "taint_of"]

FLASK_REQUEST_ATTRS = frozenset(
    {"args", "form", "values", "json", "cookies", "headers", "data", "files", "view_args"}
)
FLASK_REQUEST_METHODS = frozenset({"get_json", "get_data"})
DJANGO_REQUEST_ATTRS = frozenset({"GET", "POST", "COOKIES", "body", "META", "FILES", "headers"})
SANITIZERS = frozenset(
    {
        "int", "float", "bool", "len", "abs", "round", "hash", "id", "isinstance",
        "uuid.UUID", "shlex.quote", "pipes.quote", "os.path.basename",
        "werkzeug.utils.secure_filename", "werkzeug.secure_filename",
        "urllib.parse.quote", "urllib.parse.quote_plus",
    }
)  # fmt: skip
_MAX_DEPTH = 60


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One hop of a flow: the name (or source expression) and the line it happens on."""

    name: str
    line: int

    def render(self) -> str:
        return f"{self.name} (line {self.line})"


@dataclass(frozen=True, slots=True)
class Taint:
    """Request data with the path it took; ``steps[0]`` is the source."""

    steps: tuple[FlowStep, ...]

    @property
    def source(self) -> FlowStep:
        return self.steps[0]

    def then(self, name: str, line: int) -> Taint:
        if self.steps and self.steps[-1].name == name:
            return self
        return Taint((*self.steps, FlowStep(name, line)))

    def render(self) -> str:
        return " -> ".join(step.render() for step in self.steps)


#: Variable name -> its taint, for the function being analysed.
TaintEnv = Mapping[str, Taint]


def source_of(expr: ast.expr, imports: ImportTable) -> str | None:
    """The text of a request source when ``expr`` is one, else None."""
    node = expr.func if isinstance(expr, ast.Call) else expr
    if not isinstance(node, ast.Attribute):
        return None
    qualname = imports.qualname(node)
    if qualname is None:
        return _django_source(node)
    head, _, attr = qualname.rpartition(".")
    if head == "flask.request":
        wanted = FLASK_REQUEST_METHODS if isinstance(expr, ast.Call) else FLASK_REQUEST_ATTRS
        return f"request.{attr}" if attr in wanted else None
    return _django_source(node)


def _django_source(node: ast.Attribute) -> str | None:
    if node.attr not in DJANGO_REQUEST_ATTRS:
        return None
    base = node.value
    if isinstance(base, ast.Name) and base.id == "request":
        return f"request.{node.attr}"
    if isinstance(base, ast.Attribute) and base.attr == "request":
        return f"self.request.{node.attr}"
    return None


def taint_of(expr: ast.expr, env: TaintEnv, imports: ImportTable, depth: int = 0) -> Taint | None:
    """The taint of ``expr`` given the variables' taints, or None when it is clean."""
    if depth > _MAX_DEPTH:
        return None
    source = source_of(expr, imports)
    if source is not None:
        return Taint((FlowStep(source, expr.lineno),))
    for child in _children(expr, imports):
        found = taint_of(child, env, imports, depth + 1)
        if found is not None:
            return found
    if isinstance(expr, ast.Name):
        return env.get(expr.id)
    return None


#: Where taint flows from, per expression type (comprehensions: from their iterables).
_FLOW_FIELDS: dict[type[ast.expr], tuple[str, ...]] = {
    ast.Attribute: ("value",),
    ast.Starred: ("value",),
    ast.Subscript: ("value",),
    ast.JoinedStr: ("values",),
    ast.FormattedValue: ("value",),
    ast.BinOp: ("left", "right"),
    ast.BoolOp: ("values",),
    ast.IfExp: ("body", "orelse"),
    ast.Tuple: ("elts",),
    ast.List: ("elts",),
    ast.Set: ("elts",),
    ast.Dict: ("values",),
    ast.Await: ("value",),
    ast.NamedExpr: ("value",),
    ast.ListComp: ("elt", "generators"),
    ast.SetComp: ("elt", "generators"),
    ast.GeneratorExp: ("elt", "generators"),
    ast.DictComp: ("value", "generators"),
}


def _children(expr: ast.expr, imports: ImportTable) -> list[ast.expr]:
    """The sub-expressions taint flows out of; empty for sanitizers and literals."""
    if isinstance(expr, ast.Call):
        if imports.qualname(expr.func) in SANITIZERS:
            return []
        receiver = [expr.func.value] if isinstance(expr.func, ast.Attribute) else []
        return [*receiver, *expr.args, *(k.value for k in expr.keywords)]
    children: list[ast.expr] = []
    for name in _FLOW_FIELDS.get(type(expr), ()):
        value = getattr(expr, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.comprehension):
                children.append(item.iter)
            elif isinstance(item, ast.expr):
                children.append(item)
    return children
