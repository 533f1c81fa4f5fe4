"""Small shared checks: "this sink gets a value not fixed in the source"."""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.sites import CallSite, Hit

__all__ = ["is_truthy", "method_name", "run_time_value_hit"]


def method_name(site: CallSite) -> str | None:
    """``execute`` for ``cur.execute(...)``; None for plain function calls."""
    func = site.node.func
    return func.attr if isinstance(func, ast.Attribute) else None


def is_truthy(site: CallSite, expr: ast.expr | None) -> bool:
    """True unless ``expr`` is absent or a constant that is false.

    A run-time value (``shell=use_shell``) counts as true: the call can run a shell.
    """
    if expr is None:
        return False
    if not site.is_constant(expr):
        return True
    from secloop.scan.code.python.values import fold

    return bool(fold(expr, site.scope.consts))


def run_time_value_hit(
    site: CallSite,
    expr: ast.expr | None,
    *,
    what: str,
    escalate: bool = False,
) -> Hit | None:
    """A hit when ``expr`` is not constant; request data in it raises the severity.

    ``escalate`` marks the injection rules, where a proven flow from the request is
    the difference between a risky pattern and an exploitable one.
    """
    if expr is None or site.is_constant(expr):
        return None
    taint = site.taint(expr)
    source = f", with request data ({taint.source.name})" if taint else ""
    return Hit(
        node=site.node,
        message=f"{site.name}() receives {what}{source}.",
        sink=site.name,
        taint=taint,
        severity=Severity.CRITICAL if taint and escalate else None,
    )
