"""What a rule sees: a call, attribute read or assignment, with its scope's knowledge.

Rules are stateless functions over these sites. Everything that needs memory of the
code before the site (constants, taint, sessions with verification disabled, strings
built at run time) lives in :class:`Scope`, which the analysis keeps up to date as it
walks a function in order.
"""

from __future__ import annotations

import ast
import re
from collections import ChainMap
from dataclasses import dataclass, field

from secloop.core.severity import Severity
from secloop.scan.code.python.definitions import ModuleDefinitions
from secloop.scan.code.python.imports import ImportTable
from secloop.scan.code.python.taint import Taint, taint_of
from secloop.scan.code.python.values import (
    fold_str,
    is_constant,
    is_dynamic_string,
    string_fragments,
)

__all__ = [
    "AssignSite",
    "AttributeSite",
    "CallSite",
    "CompareSite",
    "Hit",
    "ModuleInfo",
    "Scope",
    "SessionState",
    "built_text",
    "is_sensitive_name",
]

_SENSITIVE = re.compile(
    r"(token|passw|pwd|secret|nonce|salt|otp|api_?key|session_?id|csrf|auth_?code|"
    r"reset_?code|verification_?code|credential)",
    re.IGNORECASE,
)


def is_sensitive_name(name: str) -> bool:
    """Names that say the value guards something: tokens, passwords, secrets, nonces."""
    return _SENSITIVE.search(name) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleInfo:
    path: str
    imports: ImportTable
    is_settings: bool
    #: Module-level classes and once-bound names (``class L(yaml.SafeLoader)``).
    definitions: ModuleDefinitions = field(default_factory=ModuleDefinitions)


@dataclass(slots=True, kw_only=True)
class SessionState:
    """An HTTP client object bound to a local name (``s = requests.Session()``)."""

    factory: str
    line: int
    verify_disabled_line: int | None = None


@dataclass(slots=True, kw_only=True)
class Scope:
    """What the analysis knows inside one function (or the module body) so far."""

    qualname: str
    name: str
    consts: ChainMap[str, object]
    taint: dict[str, Taint] = field(default_factory=dict)
    #: Names bound to strings built at run time -> the literal text they were built from.
    built: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, SessionState] = field(default_factory=dict)
    #: Names bound to the result of a call -> the callee's qualname (``tar = tarfile.open()``).
    instances: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """A rule's verdict at one node; the scanner turns it into a Finding."""

    node: ast.AST
    message: str
    sink: str
    taint: Taint | None = None
    severity: Severity | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Site:
    scope: Scope
    module: ModuleInfo
    statement: ast.stmt | None

    def taint(self, expr: ast.expr) -> Taint | None:
        return taint_of(expr, self.scope.taint, self.module.imports)

    def is_constant(self, expr: ast.expr) -> bool:
        return is_constant(expr, self.scope.consts)

    def fold_str(self, expr: ast.expr) -> str | None:
        return fold_str(expr, self.scope.consts)

    def built_text(self, expr: ast.expr) -> str | None:
        """The literal text of a string built at run time (here or in its variable)."""
        return built_text(expr, self.scope)

    def qualname(self, expr: ast.expr) -> str | None:
        return self.module.imports.qualname(expr)

    def receiving_names(self) -> tuple[str, ...]:
        """Where the value at this site goes: assigned names, or the returning function."""
        statement = self.statement
        names: list[str] = []
        match statement:
            case ast.Assign(targets=targets):
                names += [n for t in targets for n in _target_names(t)]
            case ast.AnnAssign(target=target) | ast.AugAssign(target=target):
                names += _target_names(target)
            case ast.Return():
                names.append(self.scope.name)
        return tuple(names)


def built_text(expr: ast.expr, scope: Scope) -> str | None:
    """The literal parts of a run-time built string, with those of the names it uses.

    None when ``expr`` is not built at run time. ``q = "SELECT ..."; q += " WHERE " + x``
    gives ``"SELECT ... WHERE "``: enough to recognise SQL without evaluating anything.
    """
    if isinstance(expr, ast.Name):
        return scope.built.get(expr.id)
    if not is_dynamic_string(expr, scope.consts):
        return None
    parts = [string_fragments(expr)]
    for node in ast.walk(expr):
        if isinstance(node, ast.Name):
            folded = fold_str(node, scope.consts)
            parts.append(folded if folded is not None else scope.built.get(node.id, ""))
    return " ".join(p for p in parts if p)


def _target_names(target: ast.expr) -> list[str]:
    match target:
        case ast.Name(id=name):
            return [name]
        case ast.Attribute(attr=attr):
            return [attr]
        case ast.Subscript(slice=ast.Constant(value=str(key))):
            return [key]
        case ast.Tuple(elts=elts) | ast.List(elts=elts):
            return [n for e in elts for n in _target_names(e)]
    return []


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSite(_Site):
    """A call; ``name`` is the callee's resolved qualname ("" when not a name chain)."""

    node: ast.Call
    name: str

    @property
    def attr(self) -> str:
        """The called name's last part, also for calls on calls (``create_app().run``)."""
        func = self.node.func
        if isinstance(func, ast.Attribute):
            return func.attr
        return self.name.rpartition(".")[2]

    def arg(self, index: int, keyword: str | None = None) -> ast.expr | None:
        """Positional argument ``index``, else the keyword of that name."""
        if keyword is not None:
            found = self.kwarg(keyword)
            if found is not None:
                return found
        args = self.node.args
        if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
            return args[index]
        return None

    def kwarg(self, name: str) -> ast.expr | None:
        for keyword in self.node.keywords:
            if keyword.arg == name:
                return keyword.value
        return None

    def kwarg_is(self, name: str, value: object) -> bool:
        """True when keyword ``name`` is the constant ``value`` (``verify=False``)."""
        found = self.kwarg(name)
        return isinstance(found, ast.Constant) and found.value is value

    def keyword_names(self) -> tuple[str, ...]:
        return tuple(k.arg for k in self.node.keywords if k.arg is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeSite(_Site):
    """An attribute read such as ``ssl.CERT_NONE``; ``name`` is its qualname."""

    node: ast.Attribute
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignSite(_Site):
    """An assignment ``target = value``, one site per target."""

    node: ast.stmt
    target: ast.expr
    value: ast.expr


@dataclass(frozen=True, slots=True, kw_only=True)
class CompareSite(_Site):
    """A comparison ``left op right`` with a single operator (``a == b``, ``a != b``)."""

    node: ast.Compare
    left: ast.expr
    op: ast.cmpop
    right: ast.expr
