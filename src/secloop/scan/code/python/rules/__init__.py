"""The explicit table of Python rules, grouped by theme; nothing registers on import."""

from __future__ import annotations

from secloop.scan.code.python.rules import (
    archives,
    cookies,
    crypto,
    deserialisation,
    exposure,
    files,
    injection,
    tls,
    web,
)
from secloop.scan.code.python.rules.base import CodeRule

__all__ = ["ALL_RULES", "CodeRule"]

ALL_RULES: tuple[CodeRule, ...] = (
    *injection.RULES,
    *deserialisation.RULES,
    *files.RULES,
    *web.RULES,
    *tls.RULES,
    *crypto.RULES,
    *exposure.RULES,
    *archives.RULES,
    *cookies.RULES,
)
