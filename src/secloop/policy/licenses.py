"""Licence policy: which declared licences a project accepts.

A policy is a deny list and an optional allow list of SPDX licence identifiers, each
possibly a glob (``GPL-3.0-*``, ``AGPL-*``), matched without regard to case. A
declared licence is evaluated as the SPDX expression it is (SPDX 2.3 annex D):

1. a licence id is *acceptable* when no deny pattern matches it and, if there is an
   allow list, an allow pattern does; ``id WITH exception`` is matched both whole and
   by its licence id, so an allow list may name ``GPL-2.0-only WITH
   Classpath-exception-2.0`` without allowing ``GPL-2.0-only``, and a deny of
   ``GPL-2.0-only`` covers it with any exception;
2. deprecated ids match under their current names too (``GPL-3.0`` is ``GPL-3.0-only``,
   ``GPL-3.0+`` is ``GPL-3.0-or-later``; any other ``id+`` is matched as ``id``), so a
   pattern written against the current list catches old declarations;
3. ``A OR B`` is acceptable when either side is (the user may choose), ``A AND B`` only
   when both are; ``AND`` binds tighter than ``OR``, parentheses group;
4. a package that declares nothing, or something that is no SPDX expression and that
   no deny pattern matches, is *unknown*: neither allowed nor denied, reported only on
   request, never silently passed as allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from secloop.core.errors import UsageError
from secloop.core.license import is_spdx_expression
from secloop.core.severity import Severity

__all__ = [
    "LicensePolicy",
    "LicenseStatus",
    "LicenseVerdict",
    "evaluate_license",
]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_PATTERN = re.compile(r"^[A-Za-z0-9.+*?\[\]-]+(?: WITH [A-Za-z0-9.+*?\[\]-]+)?$")
# Licences whose SPDX 3 ids gained -only / -or-later suffixes.
_SUFFIXED = re.compile(r"^(?:A|L)?GPL-\d\.\d$|^GFDL-1\.[123]$")


class LicenseStatus(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LicenseVerdict:
    """The outcome for one declaration; ``offending`` lists the licence ids that made a
    denied expression unacceptable (for the finding's message)."""

    status: LicenseStatus
    offending: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LicensePolicy:
    """A deny list (and optional allow list) of licence id patterns.

    ``severity`` is given to a denied-licence finding; ``report_unknown`` asks for a
    finding for every package whose licence is unknown.
    """

    deny: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    severity: Severity = Severity.HIGH
    report_unknown: bool = False

    def __post_init__(self) -> None:
        for pattern in (*self.deny, *self.allow):
            if not _PATTERN.match(pattern):
                raise UsageError(
                    f"licence pattern {pattern!r} is not an SPDX licence id or glob "
                    "(letters, digits, '.', '-', '+', '*', '?'), e.g. GPL-3.0-* or AGPL-3.0-only"
                )

    @property
    def active(self) -> bool:
        """True when the policy can report anything: a scan without it skips licences."""
        return bool(self.deny or self.allow or self.report_unknown)


def _matches(patterns: tuple[str, ...], names: tuple[str, ...]) -> bool:
    return any(fnmatchcase(n.lower(), p.lower()) for p in patterns for n in names)


def _names(leaf: str) -> tuple[str, ...]:
    """Every name a licence leaf is matched under (step 1 and 2)."""
    license_id, _, _exception = leaf.partition(" WITH ")
    names = [leaf, license_id]
    base = license_id.removesuffix("+")
    if _SUFFIXED.match(base):
        names.append(f"{base}-or-later" if license_id.endswith("+") else f"{base}-only")
    elif base != license_id:
        names.append(base)
    return tuple(dict.fromkeys(names))


class _Evaluator:
    """A recursive-descent reader of an expression that evaluates as it reads (step 3):
    ``or := and ("OR" and)*``, ``and := with ("AND" with)*``,
    ``with := "(" or ")" | id ["WITH" id]``."""

    def __init__(self, policy: LicensePolicy, text: str) -> None:
        self._policy = policy
        self._tokens = _TOKEN.findall(text)
        self._position = 0
        self.offending: list[str] = []

    def _peek(self) -> str | None:
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def _next(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("the expression ends early")
        self._position += 1
        return token

    def evaluate(self) -> bool:
        accepted = self._or()
        if self._peek() is not None:
            raise ValueError(f"unexpected {self._peek()!r}")
        return accepted

    def _or(self) -> bool:
        accepted = self._and()
        while (self._peek() or "").upper() == "OR":
            self._next()
            accepted = self._and() or accepted  # read both sides: no short-circuit
        return accepted

    def _and(self) -> bool:
        accepted = self._leaf()
        while (self._peek() or "").upper() == "AND":
            self._next()
            accepted = self._leaf() and accepted
        return accepted

    def _leaf(self) -> bool:
        word = self._next()
        if word == "(":
            accepted = self._or()
            if self._next() != ")":
                raise ValueError("unbalanced parentheses")
            return accepted
        if word == ")" or word.upper() in ("AND", "OR", "WITH"):
            raise ValueError(f"unexpected {word!r}")
        leaf = word
        if (self._peek() or "").upper() == "WITH":
            self._next()
            leaf = f"{word} WITH {self._next()}"
        names = _names(leaf)
        policy = self._policy
        denied = _matches(policy.deny, names)
        accepted = not denied and (not policy.allow or _matches(policy.allow, names))
        if not accepted:
            self.offending.append(leaf)
        return accepted


def evaluate_license(policy: LicensePolicy, declared: str | None) -> LicenseVerdict:
    """The verdict of ``policy`` on one package's declared licence (steps 1 to 4)."""
    if declared is None:
        return LicenseVerdict(LicenseStatus.UNKNOWN)
    if not is_spdx_expression(declared):
        # Free text: only an explicit deny of the whole text or one of its words counts.
        words = tuple(t for t in _TOKEN.findall(declared) if t not in ("(", ")"))
        if _matches(policy.deny, (declared, *words)):
            return LicenseVerdict(LicenseStatus.DENIED, (declared,))
        return LicenseVerdict(LicenseStatus.UNKNOWN)
    evaluator = _Evaluator(policy, declared)
    try:
        accepted = evaluator.evaluate()
    except ValueError:  # pragma: no cover - canonical SPDX expressions always parse
        return LicenseVerdict(LicenseStatus.UNKNOWN)
    if accepted:
        return LicenseVerdict(LicenseStatus.ALLOWED)
    return LicenseVerdict(LicenseStatus.DENIED, tuple(dict.fromkeys(evaluator.offending)))
