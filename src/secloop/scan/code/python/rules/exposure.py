"""Secrets that leak: compared in non-constant time, or written to the logs.

Both rules decide from names, because the value itself is unknown: a variable, an
attribute or a dictionary key whose last word says it holds a token, a password, a
signature or a key (``expected_signature``, ``self.api_key``, ``headers["X-Hub-Signature"]``).
The last word must say so: ``token_count`` or ``password_policy`` are not secrets.
"""

from __future__ import annotations

import ast
import re

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.rules.common import method_name
from secloop.scan.code.python.sites import CallSite, CompareSite, Hit

__all__ = ["RULES", "secret_name"]

_SECRET_WORD = re.compile(
    r"(?:^|[_\-.])(?:password|passwd|passphrase|pwd|secret|token|api_?key|apikey|"
    r"private_?key|signature|hmac|mac|otp|csrf_?token|credentials?|authorization)s?$",
    re.IGNORECASE,
)
#: For comparisons a bare ``token`` is too often a parser's or a lock's token; the
#: kinds that authenticate someone still count (``reset_token``, ``csrf_token``).
_COMPARED_SECRET = re.compile(
    r"(?:^|[_\-.])(?:password|passwd|passphrase|secret|api_?key|apikey|signature|hmac|mac|"
    r"(?:password|passwd|pwd)_?hash|"
    r"otp|(?:api|access|auth|reset|csrf|xsrf|refresh|session|secret|bearer|verification|"
    r"confirmation|confirm|invite|invitation|magic|login|id)_?token)s?$",
    re.IGNORECASE,
)
#: Expressions that are never a secret string: containers, comparisons, arithmetic.
_NOT_A_STRING = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp,
                 ast.DictComp, ast.GeneratorExp, ast.Compare, ast.BoolOp, ast.UnaryOp)  # fmt: skip
#: Object equality, where comparing fields is the point and nothing is authenticated.
_EQUALITY_METHODS = frozenset({"__eq__", "__ne__", "__hash__"})
_DIGEST_METHODS = frozenset({"hexdigest", "digest"})
_HMAC_FACTORIES = frozenset({"hmac.new", "hmac.HMAC", "hmac.digest"})
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
_LOGGER_NAME = re.compile(r"(?:^|[_.])(?:log|logger|logging|_logger|_log)$", re.IGNORECASE)
#: Calls that turn a secret into something safe to log (its length, a mask, a hash).
_MASKING = re.compile(r"(len|mask|redact|hash|fingerprint|obfuscate|truncate|censor)", re.I)


def secret_name(expr: ast.expr, pattern: re.Pattern[str] = _SECRET_WORD) -> str | None:
    """The name that marks ``expr`` as a secret under ``pattern``, or None."""
    match expr:
        case ast.Name(id=name) | ast.Attribute(attr=name):
            return name if pattern.search(name) else None
        case ast.Subscript(slice=ast.Constant(value=str(key))):
            return key if pattern.search(key.replace("-", "_")) else None
        case ast.Call(func=ast.Attribute(attr="get"), args=[ast.Constant(value=str(key)), *_]):
            return key if pattern.search(key.replace("-", "_")) else None
    return None


def _digest_call(expr: ast.expr, site: CompareSite) -> str | None:
    """``hmac.new(...).hexdigest()`` or ``hmac.digest(...)``: a MAC computed right here."""
    if not isinstance(expr, ast.Call):
        return None
    if site.qualname(expr.func) == "hmac.digest":
        return "hmac.digest()"
    func = expr.func
    if isinstance(func, ast.Attribute) and func.attr in _DIGEST_METHODS:
        inner = func.value
        if isinstance(inner, ast.Call) and site.qualname(inner.func) in _HMAC_FACTORIES:
            return f"hmac.new(...).{func.attr}()"
        name = secret_name(inner)
        if name is not None and re.search(r"hmac|mac|signature", name, re.IGNORECASE):
            return f"{name}.{func.attr}()"
    return None


def _named_constant(expr: ast.expr) -> bool:
    """``PARSE_UNKNOWN_TOKEN``, ``AuthMethod.USERNAME_PASSWORD``: constants by convention."""
    name = expr.id if isinstance(expr, ast.Name) else getattr(expr, "attr", None)
    return isinstance(name, str) and name.isupper()


def _check_timing(site: CompareSite) -> Hit | None:
    if not isinstance(site.op, ast.Eq | ast.NotEq):
        return None
    left, right = site.left, site.right
    if site.scope.name in _EQUALITY_METHODS or any(
        isinstance(side, _NOT_A_STRING) or _named_constant(side) for side in (left, right)
    ):
        return None
    # A constant on either side is a sentinel check (``token == ""``) or a hard-coded
    # secret (another weakness); a timing attack needs an unknown expected value.
    if site.is_constant(left) or site.is_constant(right):
        return None
    what = (
        _digest_call(left, site)
        or _digest_call(right, site)
        or secret_name(left, _COMPARED_SECRET)
        or secret_name(right, _COMPARED_SECRET)
    )
    if what is None:
        return None
    return Hit(
        node=site.node,
        message=(
            f"`{what}` is compared with `==`, which stops at the first differing byte: the "
            "response time tells an attacker how much of a guess is right; use "
            "hmac.compare_digest()."
        ),
        sink="==",
    )


def _is_logger_call(site: CallSite) -> bool:
    method = method_name(site)
    if method is None or method not in _LOG_METHODS:
        return False
    if site.name.startswith("logging."):
        return True
    receiver = site.node.func.value if isinstance(site.node.func, ast.Attribute) else None
    if isinstance(receiver, ast.Call):  # logging.getLogger(__name__).info(...)
        return site.qualname(receiver.func) == "logging.getLogger"
    text = ast.unparse(receiver) if receiver is not None else ""
    return _LOGGER_NAME.search(text) is not None or site.scope.instances.get(text, "").endswith(
        "getLogger"
    )


def _logged_secrets(expr: ast.expr) -> list[str]:
    """Secret names whose value ends up in the message (not their length or a mask)."""
    found: list[str] = []
    pending = [expr]
    while pending:
        node = pending.pop()
        name = secret_name(node)
        if name is not None:
            found.append(name)
            continue
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if _MASKING.search(func):
                continue
            if isinstance(node.func, ast.Attribute):
                pending.append(node.func.value)
            pending += [*node.args, *(k.value for k in node.keywords)]
            continue
        pending += [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
    return found


def _check_logging(site: CallSite) -> Hit | None:
    if not _is_logger_call(site):
        return None
    values = [*site.node.args, *(k.value for k in site.node.keywords if k.arg != "exc_info")]
    names = [name for value in values for name in _logged_secrets(value)]
    if not names:
        return None
    return Hit(
        node=site.node,
        message=(
            f"`{names[0]}` is written to the log: anyone who reads the logs (or the log "
            "pipeline) gets the secret; log that it was present, not its value."
        ),
        sink=site.name or "logger",
    )


RULES: tuple[CodeRule, ...] = (
    CodeRule(
        id="PY-TIMING-001",
        title="Secret or MAC compared with == (timing attack)",
        severity=Severity.MEDIUM,
        cwe=("CWE-208",),
        owasp="A02",
        description=(
            "`==` on strings and bytes returns at the first difference, so the time a "
            "comparison takes reveals how long the matching prefix is. Comparing a received "
            "HMAC signature, API key or token that way lets an attacker forge it byte by "
            "byte. Reported when one side is an HMAC digest computed in place or a value "
            "named like a token, signature, password or key, and neither side is a constant."
        ),
        remediation=(
            "Use `hmac.compare_digest(expected, received)` (or `secrets.compare_digest`), "
            "which takes the same time whatever the inputs."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/208.html",
            "https://docs.python.org/3/library/hmac.html#hmac.compare_digest",
        ),
        on_compare=_check_timing,
    ),
    CodeRule(
        id="PY-LOG-001",
        title="Secret written to a log",
        severity=Severity.MEDIUM,
        cwe=("CWE-532",),
        owasp="A09",
        semgrep="python.lang.security.audit.logging.logger-credential-leak.python-logger-credential-disclosure",
        description=(
            "A logging call whose message or arguments include a value named like a "
            "password, token, secret or API key. Logs are copied to aggregators, tickets and "
            "laptops, kept for months and readable by many more people than the secret "
            "itself. Lengths, masks and hashes of the value (`len(token)`, "
            "`mask(api_key)`) are not reported."
        ),
        remediation=(
            "Log the fact, not the value (`token present: yes`), or a masked form such as "
            "the last four characters."
        ),
        references=("https://cwe.mitre.org/data/definitions/532.html",),
        on_call=_check_logging,
    ),
)
