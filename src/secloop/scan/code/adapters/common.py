"""What the adapters share: CWE normalisation, severity words, evidence and anchors.

A peer tool's findings become ordinary secloop findings: their CWE under the ``cwe``
framework (the key :mod:`secloop.policy.dedupe` compares) and the tool's own rule id
under a framework named after the tool (``{"bandit": ("B602",)}``), so that reports
show what the peer called it and the de-duplication can match it against secloop's
rule peers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from secloop.core.severity import Severity

__all__ = ["anchor_text", "evidence_lines", "normalise_cwes", "severity_from_word"]

_CWE = re.compile(r"CWE[-_ ]?(\d{1,5})", re.IGNORECASE)
_EVIDENCE_LINES = 3
_ANCHOR_CHARS = 240

_SEVERITY_WORDS: dict[str, Severity] = {
    # Bandit: LOW / MEDIUM / HIGH (UNDEFINED otherwise).
    "LOW": Severity.LOW,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
    # Semgrep rule severities: ERROR / WARNING / INFO (newer rules use the words above).
    "ERROR": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "INFO": Severity.LOW,
}


def severity_from_word(word: object) -> Severity:
    """A peer tool's severity word; anything unrecognised is UNKNOWN, never dropped."""
    return _SEVERITY_WORDS.get(str(word).strip().upper(), Severity.UNKNOWN)


def normalise_cwes(value: object) -> tuple[str, ...]:
    """``CWE-n`` ids from an int, ``"CWE-78: Improper ..."`` strings or a list of them."""
    if isinstance(value, bool) or value is None:
        return ()
    if isinstance(value, int):
        return (f"CWE-{value}",) if value > 0 else ()
    items = value if isinstance(value, list | tuple) else [value]
    found: list[str] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            found.extend(normalise_cwes(item))
            continue
        match = _CWE.search(str(item))
        if match and int(match.group(1)) > 0:
            found.append(f"CWE-{int(match.group(1))}")
    return tuple(dict.fromkeys(found))


def evidence_lines(lines: Sequence[str], start: int, end: int | None) -> str:
    """Up to three source lines of the finding, as the python scanner shows them."""
    if not 1 <= start <= len(lines):
        return ""
    last = min(end or start, start + _EVIDENCE_LINES - 1, len(lines))
    return "\n".join(lines[start - 1 : last]).strip()


def anchor_text(tool_rule: str, evidence: str) -> str:
    """The fingerprint anchor: the tool's rule and the offending text, whitespace collapsed,
    so the fingerprint survives lines moving (see secloop.core.fingerprint)."""
    return f"{tool_rule}|{' '.join(evidence.split())[:_ANCHOR_CHARS]}"
