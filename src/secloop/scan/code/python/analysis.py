"""The walk over one module: keeps each scope's knowledge current and asks the rules.

Statements are visited in source order, so at any call the scope knows what was
assigned before it: which names are constants, which carry request data (and from
where), which strings were built at run time, which HTTP sessions had verification
switched off. Assignments are visited value first, then bound, as Python runs them.
Branches are not merged: a name rebound in one branch counts as rebound after it,
which loses a little recall on odd code and never invents a flow.
"""

from __future__ import annotations

import ast
from collections import ChainMap
from collections.abc import Sequence
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

__all__ = ["SESSION_FACTORIES", "ModuleAnalyzer", "Record"]

#: Calls whose result is an HTTP client object that keeps a ``verify`` setting.
SESSION_FACTORIES = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client",
     "httpx.AsyncClient"}
)  # fmt: skip

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class Record:
    """A rule's hit and the qualname of the function it is in (for the fingerprint)."""

    rule: CodeRule
    hit: Hit
    qualname: str


class ModuleAnalyzer(ast.NodeVisitor):
    """Collects ``(rule, hit)`` pairs for one parsed module; use once per module."""

    def __init__(self, module: ModuleInfo, rules: Sequence[CodeRule]) -> None:
        self.module = module
        self.hits: list[Record] = []
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

    def _record(self, rule: CodeRule, hit: Hit | None) -> None:
        if hit is not None:
            self.hits.append(Record(rule, hit, self.scope.qualname))
