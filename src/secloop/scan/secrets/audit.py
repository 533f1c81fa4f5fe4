"""Baseline audit: a person marks each reported secret as real or a false positive.

detect-secrets keeps audit verdicts in its own baseline format; secloop writes them
where every scan already looks, the ignore file (:mod:`secloop.policy.suppressions`).
A false positive becomes one entry selecting its exact finding by fingerprint (plus the
rule id, for a reader), with the reason ``false positive, audited by <user> on <date>``.
Real secrets are not written anywhere: they stay in the report and fail the gate
until the credential is rotated and removed.

Writing keeps the file a person wrote: new entries are appended as text under the
existing ``suppressions:`` list, with its indentation, so comments survive. When the
list is not in block style (``suppressions: []``), the file is rewritten from its
parsed value. Either way the result is re-read with the policy loader, and the
original is restored if it does not validate with exactly the added entries.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import assert_never

import yaml

from secloop.core.errors import ConfigError
from secloop.core.finding import Finding, FindingKind
from secloop.core.result import ScanResult
from secloop.policy.suppressions import IgnoreFile, load_ignore_file

__all__ = [
    "AuditSummary",
    "Decision",
    "audit_findings",
    "audit_reason",
    "candidates",
    "format_entries",
    "write_suppressions",
]

_SUPPRESSIONS_KEY = re.compile(r"^suppressions:[ \t]*(?:#.*)?$", re.MULTILINE)
_BLOCK_ITEM = re.compile(r"^([ \t]*)- ", re.MULTILINE)


class Decision(StrEnum):
    """One keypress of the audit prompt."""

    REAL = "y"
    FALSE_POSITIVE = "n"
    SKIP = "s"
    QUIT = "q"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditSummary:
    real: int
    false_positives: tuple[Finding, ...]
    skipped: int
    remaining: int  # not shown because the person quit


def audit_reason(user: str, today: date) -> str:
    return f"false positive, audited by {user} on {today.isoformat()}"


def candidates(result: ScanResult, ignore: IgnoreFile | None) -> list[Finding]:
    """Secret findings still to audit: fingerprinted, not suppressed, and not already
    selected by an ignore entry's fingerprint (an earlier audit)."""
    known = {e.fingerprint for e in ignore.entries if e.fingerprint} if ignore else set()
    return [
        f
        for f in result.findings
        if f.kind is FindingKind.SECRET
        and f.fingerprint
        and not f.suppressed
        and f.fingerprint not in known
    ]


def audit_findings(
    findings: Sequence[Finding], ask: Callable[[Finding, int, int], Decision]
) -> AuditSummary:
    """Ask about each finding in turn (``ask(finding, position, total)``) until done or quit."""
    real = skipped = 0
    false_positives: list[Finding] = []
    for position, finding in enumerate(findings, start=1):
        decision = ask(finding, position, len(findings))
        match decision:
            case Decision.REAL:
                real += 1
            case Decision.FALSE_POSITIVE:
                false_positives.append(finding)
            case Decision.SKIP:
                skipped += 1
            case Decision.QUIT:
                return AuditSummary(
                    real=real,
                    false_positives=tuple(false_positives),
                    skipped=skipped,
                    remaining=len(findings) - position + 1,
                )
            case _:
                assert_never(decision)
    return AuditSummary(
        real=real, false_positives=tuple(false_positives), skipped=skipped, remaining=0
    )


def format_entries(findings: Iterable[Finding], reason: str, indent: str = "  ") -> str:
    """Ignore-file entries as YAML text (JSON strings are valid YAML scalars)."""
    lines: list[str] = []
    for finding in findings:
        lines.append(f"{indent}- rule: {json.dumps(finding.rule_id)}")
        lines.append(f"{indent}  fingerprint: {json.dumps(finding.fingerprint)}")
        lines.append(f"{indent}  reason: {json.dumps(reason)}")
    return "\n".join(lines) + "\n" if lines else ""


def _rewritten(text: str, findings: Sequence[Finding], reason: str) -> str:
    """The whole file from its parsed value plus the new entries (comments are lost)."""
    raw = yaml.safe_load(text) if text.strip() else None
    data = raw if isinstance(raw, dict) else {}
    entries = list(data.get("suppressions") or [])
    entries += [
        {"rule": f.rule_id, "fingerprint": f.fingerprint, "reason": reason} for f in findings
    ]
    data["suppressions"] = entries
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _appended(text: str, findings: Sequence[Finding], reason: str) -> str | None:
    """The file with entries appended under a block-style list, or None if it is not one."""
    key = _SUPPRESSIONS_KEY.search(text)
    if key is None:
        return None
    after = text[key.end() :]
    item = _BLOCK_ITEM.search(after)
    if item is None and any(
        line.strip() and not line.strip().startswith("#") for line in after.splitlines()
    ):
        return None  # a flow-style list: suppressions: [...]
    indent = item.group(1) if item else "  "
    body = text if text.endswith("\n") else text + "\n"
    return body + format_entries(findings, reason, indent)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_suppressions(path: Path, findings: Sequence[Finding], reason: str) -> None:
    """Add one entry per finding to the ignore file at ``path`` (created if missing)."""
    if not findings:
        return
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    before = len(load_ignore_file(path).entries) if original.strip() else 0
    if not original.strip():
        new_text = "suppressions:\n" + format_entries(findings, reason)
    else:
        new_text = _appended(original, findings, reason) or _rewritten(original, findings, reason)
    _atomic_write(path, new_text)
    try:
        after = len(load_ignore_file(path).entries)
    except ConfigError:
        after = -1
    if after == before + len(findings):
        return
    _atomic_write(path, _rewritten(original, findings, reason))
    if len(load_ignore_file(path).entries) != before + len(findings):
        _atomic_write(path, original)
        raise ConfigError(f"{path}: could not add audit entries without breaking the file")
