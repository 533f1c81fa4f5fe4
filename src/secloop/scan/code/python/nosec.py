"""Bandit-compatible ``# nosec`` comments, so projects moving from Bandit keep theirs.

``# nosec`` alone silences every rule on the line; ``# nosec B602, B607`` (Bandit ids)
or ``# nosec PY-CMDI-001`` (secloop ids) silences only those. Unlike
``secloop:ignore``, which the engine records as a visible suppression with its
reason, a ``nosec`` finding is not reported at all: that is what Bandit users expect
the comment to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from secloop.scan.code.python.rules.base import CodeRule

__all__ = ["NosecIndex"]

_NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$", re.IGNORECASE)
_RULE_ID = re.compile(r"\b(B\d{3}|PY-[A-Z]+-\d{3})\b")


class NosecIndex:
    """The ``nosec`` markers of one file: line -> rule ids (empty set: every rule)."""

    __slots__ = ("_marks",)

    def __init__(self, lines: Sequence[str]) -> None:
        self._marks: dict[int, frozenset[str]] = {}
        for number, line in enumerate(lines, start=1):
            if "nosec" not in line.lower():
                continue
            match = _NOSEC.search(line)
            if match is not None:
                self._marks[number] = frozenset(_RULE_ID.findall(match.group("rest")))

    def silences(self, rule: CodeRule, first_line: int, last_line: int) -> bool:
        """True when a marker on any line of the reported node covers ``rule``."""
        if not self._marks:
            return False
        names = {rule.id, *rule.bandit}
        for line in range(first_line, last_line + 1):
            ids = self._marks.get(line)
            if ids is not None and (not ids or ids & names):
                return True
        return False
