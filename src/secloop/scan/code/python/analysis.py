"""The walk over one module: keeps each scope's knowledge current and asks the rules.

Statements are visited in source order, so at any call the scope knows what was
assigned before it: which names are constants, which carry request data (and from
where), which strings were built at run time, which HTTP sessions had verification
switched off. Assignments are visited value first, then bound, as Python runs them.
Branches are not merged: a name rebound in one branch counts as rebound after it,
which loses a little recall on odd code and never invents a flow.

One level across functions: when a call to a function defined at the top of the same
module passes request data as an argument, that function is analysed again once,
after the module, with those parameters tainted (:meth:`ModuleAnalyzer.follow_calls`).
The flow then reads source -> call site -> parameter -> sink. Each function is
re-analysed at most once, with the union of the tainted parameters of all its call
sites (the first call site's flow is shown per parameter), and calls inside that
second pass are not followed again: at most twice the work of one pass.
"""

from __future__ import annotations

import ast
from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from secloop.scan.code.python.imports import dotted_name
from secloop.scan.code.python.routes import route_parameters
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import (
    AssignSite,
    AttributeSite,
    CallSite,
    CompareSite,
    Hit,
    ModuleInfo,
    Scope,
    SessionState,
    built_text,
)
from secloop.scan.code.python.taint import FlowStep, Taint, taint_of
from secloop.scan.code.python.values import NOT_CONSTANT, fold

__all__ = ["SESSION_FACTORIES", "ModuleAnalyzer", "Record", "top_level_functions"]

#: Calls whose result is an HTTP client object that keeps a ``verify`` setting.
SESSION_FACTORIES = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client",
     "httpx.AsyncClient"}
)  # fmt: skip

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class _CallEntry:
    """A tainted argument at a call of a module function: the parameter and its flow."""

    parameter: str
    taint: Taint


@dataclass(frozen=True, slots=True)
class Record:
    """A rule's hit and the qualname of the function it is in (for the fingerprint)."""

    rule: CodeRule
    hit: Hit
    qualname: str


class ModuleAnalyzer(ast.NodeVisitor):
    """Collects ``(rule, hit)`` pairs for one parsed module; use once per module."""

    def __init__(
        self,
        module: ModuleInfo,
        rules: Sequence[CodeRule],
        *,
        functions: Mapping[str, FunctionNode] | None = None,
    ) -> None:
        self.module = module
        self.hits: list[Record] = []
        #: Top-level functions of the module by name; calls to them are followed once.
        self._functions: Mapping[str, FunctionNode] = functions or {}
        #: function name -> parameter -> the flow of the first tainted argument given to it.
        self._tainted_calls: dict[str, dict[str, Taint]] = {}
        self._seeds: dict[str, Taint] = {}
        self._rules = rules
        self._call_rules = [r for r in rules if r.on_call is not None]
        self._attribute_rules = [r for r in rules if r.on_attribute is not None]
        self._assign_rules = [r for r in rules if r.on_assign is not None]
        self._compare_rules = [r for r in rules if r.on_compare is not None]
        self._scopes = [Scope(qualname="<module>", name="<module>", consts=ChainMap({}))]
        self._statement: ast.stmt | None = None

    @property
    def scope(self) -> Scope:
        return self._scopes[-1]

    def visit(self, node: ast.AST) -> None:
        """Track the statement being visited: rules ask where a value goes."""
        if not isinstance(node, ast.stmt):
            super().visit(node)
            return
        previous, self._statement = self._statement, node
        try:
            super().visit(node)
        finally:
            self._statement = previous

    # -- scopes -------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def _visit_function(self, node: FunctionNode) -> None:
        for expr in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults):
            if expr is not None:
                self.visit(expr)
        scope = self._new_scope(node.name)
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        for arg in every:
            scope.consts.maps[0][arg.arg] = NOT_CONSTANT
        for name in route_parameters(node, self.module.imports):
            scope.taint[name] = Taint((FlowStep(f"parameter {name}", node.lineno),))
        if len(self._scopes) == 1:
            scope.taint.update(self._seeds)
        self._in_scope(scope, node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        self._in_scope(self._new_scope(node.name), node.body)

    def _new_scope(self, name: str) -> Scope:
        parent = self.scope
        prefix = "" if parent.qualname == "<module>" else parent.qualname + "."
        return Scope(qualname=prefix + name, name=name, consts=parent.consts.new_child())

    def _in_scope(self, scope: Scope, body: Sequence[ast.stmt]) -> None:
        self._scopes.append(scope)
        try:
            for statement in body:
                self.visit(statement)
        finally:
            self._scopes.pop()

    # -- bindings -----------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._assign(node, target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is None:
            return
        self.visit(node.value)
        self._assign(node, node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            load = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node.target)
            combined = ast.copy_location(ast.BinOp(left=load, op=node.op, right=node.value), node)
            self._bind_name(node.target.id, combined, node.lineno)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind_name(node.target.id, node.value, node.lineno)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, node.iter, node.lineno)
        for statement in (*node.body, *node.orelse):
            self.visit(statement)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, node.iter, node.lineno)
        for statement in (*node.body, *node.orelse):
            self.visit(statement)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, item.context_expr, node.lineno)
        for statement in node.body:
            self.visit(statement)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, item.context_expr, node.lineno)
        for statement in node.body:
            self.visit(statement)

    def _assign(self, node: ast.stmt, target: ast.expr, value: ast.expr) -> None:
        self._check_assign(AssignSite(
            scope=self.scope, module=self.module, statement=node, node=node,
            target=target, value=value,
        ))  # fmt: skip
        if isinstance(target, ast.Attribute | ast.Subscript):
            self.visit(target.value)
        self._bind_target(target, value, node.lineno)

    def _bind_target(self, target: ast.expr, value: ast.expr, line: int) -> None:
        match target:
            case ast.Name(id=name):
                self._bind_name(name, value, line)
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                for element in elts:
                    self._bind_target(element, value, line)
            case ast.Starred(value=inner):
                self._bind_target(inner, value, line)
            case ast.Attribute():
                self._bind_attribute(target, value, line)

    def _bind_name(self, name: str, value: ast.expr, line: int) -> None:
        scope = self.scope
        scope.consts.maps[0][name] = fold(value, scope.consts)
        taint = taint_of(value, scope.taint, self.module.imports)
        if taint is None:
            scope.taint.pop(name, None)
        else:
            scope.taint[name] = taint.then(name, line)
        text = built_text(value, scope)
        if text is not None:
            scope.built[name] = text
        else:
            scope.built.pop(name, None)
        self._bind_session(name, value, line)
        factory = self.module.imports.qualname(value.func) if isinstance(value, ast.Call) else None
        if factory is not None:
            scope.instances[name] = factory
        else:
            scope.instances.pop(name, None)

    def _bind_attribute(self, target: ast.Attribute, value: ast.expr, line: int) -> None:
        key = dotted_name(target)
        if key is None:
            return
        self._bind_session(key, value, line)
        owner = dotted_name(target.value)
        session = self.scope.sessions.get(owner or "")
        if session is not None and target.attr == "verify":
            disabled = isinstance(value, ast.Constant) and value.value is False
            session.verify_disabled_line = line if disabled else None

    def _bind_session(self, key: str, value: ast.expr, line: int) -> None:
        if (
            isinstance(value, ast.Call)
            and self.module.imports.qualname(value.func) in SESSION_FACTORIES
        ):
            factory = str(self.module.imports.qualname(value.func))
            self.scope.sessions[key] = SessionState(factory=factory, line=line)
        else:
            self.scope.sessions.pop(key, None)

    # -- rule dispatch ------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        self._note_module_call(node)
        name = self.module.imports.qualname(node.func) or ""
        site = CallSite(
            scope=self.scope, module=self.module, statement=self._statement, node=node, name=name
        )
        for rule in self._call_rules:
            assert rule.on_call is not None  # noqa: S101 - filtered in __init__
            self._record(rule, rule.on_call(site))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = self.module.imports.qualname(node)
        if name is not None and self._attribute_rules:
            site = AttributeSite(
                scope=self.scope, module=self.module, statement=self._statement, node=node,
                name=name,
            )  # fmt: skip
            for rule in self._attribute_rules:
                assert rule.on_attribute is not None  # noqa: S101 - filtered in __init__
                self._record(rule, rule.on_attribute(site))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if len(node.ops) == 1 and self._compare_rules:
            site = CompareSite(
                scope=self.scope, module=self.module, statement=self._statement, node=node,
                left=node.left, op=node.ops[0], right=node.comparators[0],
            )  # fmt: skip
            for rule in self._compare_rules:
                assert rule.on_compare is not None  # noqa: S101 - filtered in __init__
                self._record(rule, rule.on_compare(site))
        self.generic_visit(node)

    def _check_assign(self, site: AssignSite) -> None:
        for rule in self._assign_rules:
            assert rule.on_assign is not None  # noqa: S101 - filtered in __init__
            self._record(rule, rule.on_assign(site))

    # -- one level across functions --------------------------------------------------

    def _note_module_call(self, node: ast.Call) -> None:
        """Remember request data passed to a top-level function of this module."""
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in self._functions:
            return
        if self.module.imports.is_imported(func.id):
            return
        target = self._functions[func.id]
        for parameter, argument in _bound_arguments(target, node):
            taint = taint_of(argument, self.scope.taint, self.module.imports)
            if taint is None:
                continue
            entries = self._tainted_calls.setdefault(func.id, {})
            if parameter not in entries:
                call = taint.then(f"{func.id}({parameter}=...)", node.lineno)
                entries[parameter] = call.then(f"parameter {parameter}", target.lineno)

    def follow_calls(self) -> None:
        """Analyse once more each function that was given request data, with those
        parameters tainted; keep the hits whose flow comes through a call site."""
        for name, seeds in self._tainted_calls.items():
            second = ModuleAnalyzer(self.module, self._rules)
            second._scopes = [self._scopes[0]]
            second._seeds = seeds
            second.visit(self._functions[name])
            self._merge(second.hits, seeds)

    def _merge(self, records: Sequence[Record], seeds: Mapping[str, Taint]) -> None:
        """Add the flows through call sites; such a record replaces the plain one."""
        by_place = {_place(r): i for i, r in enumerate(self.hits)}
        for record in records:
            taint = record.hit.taint
            if taint is None or not _starts_with_any(taint, seeds.values()):
                continue
            index = by_place.get(_place(record))
            if index is None:
                self.hits.append(record)
            elif self.hits[index].hit.taint is None:
                self.hits[index] = record

    def _record(self, rule: CodeRule, hit: Hit | None) -> None:
        if hit is not None:
            self.hits.append(Record(rule, hit, self.scope.qualname))


def _place(record: Record) -> tuple[str, int, int]:
    node = record.hit.node
    return record.rule.id, getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _starts_with_any(taint: Taint, seeds: Iterable[Taint]) -> bool:
    """True when ``taint`` continues one of the call-site flows (its steps extend them)."""
    return any(taint.steps[: len(seed.steps)] == seed.steps for seed in seeds)


def _bound_arguments(function: FunctionNode, call: ast.Call) -> list[tuple[str, ast.expr]]:
    """(parameter name, argument) pairs for a plain call; ``*args``/``**kw`` calls bind
    nothing we can name, so they are skipped rather than guessed."""
    arguments = function.args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    keyword_names = {a.arg for a in (*arguments.args, *arguments.kwonlyargs)}
    pairs: list[tuple[str, ast.expr]] = []
    for index, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            break
        if index < len(positional):
            pairs.append((positional[index], argument))
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg in keyword_names:
            pairs.append((keyword.arg, keyword.value))
    return pairs


def top_level_functions(tree: ast.Module) -> dict[str, FunctionNode]:
    """Functions defined once at the top of the module (a redefined name is ambiguous)."""
    found: dict[str, FunctionNode] = {}
    seen: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            if statement.name in seen:
                found.pop(statement.name, None)
            else:
                found[statement.name] = statement
            seen.add(statement.name)
    return found
