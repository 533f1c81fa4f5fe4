"""Inline suppressions: ``secloop:ignore RULE-ID[,RULE-ID...] reason`` in a comment.

The marker applies to the finding's own line or, written alone on the line above,
to the next line. A reason is required; a marker without one is reported and not
applied, so a bare ``secloop:ignore`` can never hide a finding silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from secloop.core.finding import Finding, Suppression, SuppressionKind

#: Every marker contains it: a file without it needs no line-by-line look.
INLINE_MARKER = "secloop:ignore"
_MARKER = re.compile(
    r"secloop:ignore\s+(?P<rules>[A-Za-z0-9_.\-]+(?:\s*,\s*[A-Za-z0-9_.\-]+)*)(?P<reason>.*)"
)
_COMMENT_CLOSERS = ("-->", "*/", "#}", "%}")
_COMMENT_OPENERS = ("#", "//", "--", ";", "/*", "<!--", "{#", "%")


@dataclass(frozen=True, slots=True)
class InlineOutcome:
    suppression: Suppression | None
    warning: str | None = None


def _reason_text(raw: str) -> str:
    text = raw.strip()
    for closer in _COMMENT_CLOSERS:
        text = text.removesuffix(closer).strip()
    return text.lstrip(":-— ").strip()


def _is_comment_only(line: str) -> bool:
    return line.lstrip().startswith(_COMMENT_OPENERS)


def _marker_lines(lines: Sequence[str], line_no: int) -> list[tuple[int, str]]:
    candidates: list[tuple[int, str]] = []
    if 1 <= line_no <= len(lines):
        candidates.append((line_no, lines[line_no - 1]))
    if 2 <= line_no <= len(lines) + 1 and _is_comment_only(lines[line_no - 2]):
        candidates.append((line_no - 1, lines[line_no - 2]))
    return candidates


def find_inline_suppression(lines: Sequence[str], finding: Finding) -> InlineOutcome:
    """The inline suppression that covers ``finding``, if its file carries one."""
    location = finding.location
    if location.path is None or location.start_line is None:
        return InlineOutcome(None)
    for line_no, line in _marker_lines(lines, location.start_line):
        match = _MARKER.search(line)
        if match is None:
            continue
        rules = {rule.strip() for rule in match.group("rules").split(",")}
        if finding.rule_id not in rules:
            continue
        reason = _reason_text(match.group("reason"))
        source = f"{location.path}:{line_no}"
        if not reason:
            return InlineOutcome(
                None, f"{source}: secloop:ignore {finding.rule_id} has no reason; not applied"
            )
        return InlineOutcome(Suppression(kind=SuppressionKind.INLINE, reason=reason, source=source))
    return InlineOutcome(None)
