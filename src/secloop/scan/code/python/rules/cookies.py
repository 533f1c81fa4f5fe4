"""Cookies set without the attributes that keep them on HTTPS and away from scripts.

Flask/Werkzeug, Django and Starlette/FastAPI responses all set cookies through
``set_cookie(key, value, ..., secure=, httponly=, samesite=)`` (Django also
``set_signed_cookie``). Flask and Django default to ``secure=False``,
``httponly=False`` and no SameSite; Starlette defaults SameSite to ``lax``, so a
missing ``samesite`` is only reported outside Starlette/FastAPI modules.
"""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import CallSite, Hit

__all__ = ["RULES"]

_SET_COOKIE = frozenset({"set_cookie", "set_signed_cookie"})
_LAX_BY_DEFAULT = ("starlette", "fastapi")


def _is_false(site: CallSite, name: str) -> bool:
    """Absent, or a constant that is false."""
    value = site.kwarg(name)
    if value is None:
        return True
    return isinstance(value, ast.Constant) and not value.value


def _samesite_missing(site: CallSite) -> bool:
    value = site.kwarg("samesite")
    if value is None:
        return not any(site.module.imports.imports(p) for p in _LAX_BY_DEFAULT)
    folded = site.fold_str(value)
    return isinstance(value, ast.Constant) and (value.value is None or folded == "None")


def _is_cookie_jar_call(site: CallSite) -> bool:
    """``jar.set_cookie(cookie)``: http.cookiejar storing a client-side Cookie object."""
    args = site.node.args
    return (
        len(args) == 1
        and not site.node.keywords
        and not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str))
    )


def _check_cookie(site: CallSite) -> Hit | None:
    func = site.node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _SET_COOKIE:
        return None
    if any(k.arg is None for k in site.node.keywords):
        return None  # **options: the attributes are set elsewhere
    if _is_cookie_jar_call(site):
        return None
    missing = [
        flag
        for flag, absent in (
            ("secure", _is_false(site, "secure")),
            ("httponly", _is_false(site, "httponly")),
            ("samesite", _samesite_missing(site)),
        )
        if absent
    ]
    if not missing:
        return None
    return Hit(
        node=site.node,
        message=f"{func.attr}() without {', '.join(missing)}.",
        sink=func.attr,
    )


RULES: tuple[CodeRule, ...] = (
    CodeRule(
        id="PY-COOKIE-001",
        title="Cookie set without Secure, HttpOnly or SameSite",
        severity=Severity.LOW,
        cwe=("CWE-614", "CWE-1004", "CWE-1275"),
        owasp="A05",
        semgrep="python.flask.security.audit.secure-set-cookie.secure-set-cookie",
        description=(
            "Without `secure=True` the browser also sends the cookie over plain HTTP; "
            "without `httponly=True` any script on the page (an XSS) can read it; without "
            "`samesite` (or with `samesite=None`) it goes with cross-site requests, which "
            "is what CSRF needs. Flask and Django default to all three off."
        ),
        remediation=(
            'Pass `secure=True, httponly=True, samesite="Lax"` (or "Strict"); for session '
            "cookies set `SESSION_COOKIE_SECURE`/`SESSION_COOKIE_HTTPONLY` in the settings."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/614.html",
            "https://cwe.mitre.org/data/definitions/1004.html",
            "https://owasp.org/www-community/SameSite",
        ),
        on_call=_check_cookie,
    ),
)
