"""Constant folding: decide whether a value is fixed when the code is written.

Precision rests on this module. A sink called with a value the author wrote down
(``os.system("ls -l")``, ``"SELECT ..." % ("users",)``) cannot carry an attacker's
input, so rules skip it; a value built at run time from anything else might. Folding
covers string literals, concatenation, ``%`` and ``.format`` over foldable parts,
f-strings, and names bound once to such values in the same scope.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

__all__ = [
    "NOT_CONSTANT",
    "Constants",
    "fold",
    "fold_str",
    "is_constant",
    "is_dynamic_string",
    "string_fragments",
]

#: Names bound to constant values in the current scope (function or module).
Constants = Mapping[str, object]

_MAX_DEPTH = 50
#: What :func:`fold` returns for a run-time value; bound to a name in a scope, it also
#: hides a module constant of the same name.
NOT_CONSTANT = object()
_FOLDABLE_OPS = (ast.Add, ast.Mod)


class _NotConstantError(Exception):
    """Internal signal: the expression depends on something only known at run time."""


def fold(expr: ast.expr, consts: Constants) -> object:
    """The value of ``expr`` when it is a compile-time constant; raises nothing.

    Returns :data:`NOT_CONSTANT` when it is not. Containers fold element-wise, so
    ``["ls", "-l"]`` counts as constant.
    """
    try:
        return _fold(expr, consts, 0)
    except (_NotConstantError, TypeError, ValueError, KeyError, IndexError, OverflowError):
        return NOT_CONSTANT


def is_constant(expr: ast.expr, consts: Constants) -> bool:
    return fold(expr, consts) is not NOT_CONSTANT


def fold_str(expr: ast.expr, consts: Constants) -> str | None:
    value = fold(expr, consts)
    return value if isinstance(value, str) else None


def _fold(expr: ast.expr, consts: Constants, depth: int) -> object:
    if depth > _MAX_DEPTH:
        raise _NotConstantError
    match expr:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name) if name in consts:
            bound = consts[name]
            if bound is NOT_CONSTANT:
                raise _NotConstantError
            return bound
        case ast.Tuple(elts=elts):
            return tuple(_fold(e, consts, depth + 1) for e in elts)
        case ast.List(elts=elts):
            return [_fold(e, consts, depth + 1) for e in elts]
    return _fold_string(expr, consts, depth)


def _fold_string(expr: ast.expr, consts: Constants, depth: int) -> object:
    """f-strings, ``+``, ``%`` and ``.format`` over foldable parts."""
    match expr:
        case ast.JoinedStr(values=values):
            return "".join(_fold_fstring_part(v, consts, depth + 1) for v in values)
        case ast.BinOp(left=left, op=ast.Add(), right=right):
            return _add(_fold(left, consts, depth + 1), _fold(right, consts, depth + 1))
        case ast.BinOp(left=left, op=ast.Mod(), right=right):
            template = _fold(left, consts, depth + 1)
            if not isinstance(template, str):
                raise _NotConstantError
            return template % _fold(right, consts, depth + 1)
        case ast.Call(func=ast.Attribute(value=base, attr="format"), args=args, keywords=kws):
            template = _fold(base, consts, depth + 1)
            if not isinstance(template, str) or any(k.arg is None for k in kws):
                raise _NotConstantError
            positional = [_fold(a, consts, depth + 1) for a in args]
            named = {str(k.arg): _fold(k.value, consts, depth + 1) for k in kws}
            return template.format(*positional, **named)
    raise _NotConstantError


def _fold_fstring_part(part: ast.expr, consts: Constants, depth: int) -> str:
    if isinstance(part, ast.Constant):
        return str(part.value)
    if isinstance(part, ast.FormattedValue):
        return str(_fold(part.value, consts, depth))
    raise _NotConstantError


def _add(left: object, right: object) -> object:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left + right
    raise _NotConstantError


def is_dynamic_string(expr: ast.expr, consts: Constants) -> bool:
    """True for a string *built at run time*: f-string, ``+``, ``%`` or ``.format``.

    Built, not merely non-constant: a bare parameter ``sql`` passed on is the caller's
    business, while ``"... WHERE id = " + uid`` is the injection pattern itself.
    """
    if is_constant(expr, consts):
        return False
    match expr:
        case ast.JoinedStr():
            return True
        case ast.BinOp(op=op) if isinstance(op, _FOLDABLE_OPS):
            return _has_string_literal(expr)
        case ast.Call(func=ast.Attribute(value=base, attr="format" | "replace")):
            return _has_string_literal(base)
    return False


def _has_string_literal(expr: ast.expr) -> bool:
    return any(
        isinstance(node, ast.Constant) and isinstance(node.value, str) for node in ast.walk(expr)
    )


def string_fragments(expr: ast.expr) -> str:
    """The literal text of a built string, joined: enough to tell SQL from other text."""
    return " ".join(
        node.value
        for node in ast.walk(expr)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
