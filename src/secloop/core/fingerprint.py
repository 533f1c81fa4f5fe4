"""Finding fingerprints that survive unrelated edits.

Recipe (version 1; see docs/adr/0002-finding-fingerprints.md):

1. The *subject* is where the problem lives: the target-relative path, else the
   Kubernetes resource (``Kind/namespace/name``), else the package purl.
2. The *anchor* is the scanner's stable identity of the problem inside its subject
   (a field path, a purl plus advisory id, a hash of a secret). A scanner that gives
   none falls back to the finding's evidence with all whitespace collapsed, so that
   re-indenting or moving the offending text keeps the fingerprint; only when there is
   no evidence either is the start line used, the one case that shifts with edits.
3. ``base = sha256("secloop-fp/1" NUL kind NUL rule_id NUL subject NUL anchor)``,
   truncated to 32 hex digits (128 bits: collisions are not a practical concern).
4. Findings with the same base (the same text repeated in one file) are numbered in
   order of position, and the fingerprint is ``base:n`` with n from 1, the scheme of
   CodeQL's ``primaryLocationLineHash``. Adding a copy *after* the others keeps the
   earlier fingerprints.

Line numbers, columns, severities, messages and image layer digests are deliberately
not inputs: they change when unrelated lines move, when a rule is re-rated, or when an
image is rebuilt, and none of that makes it a different problem.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from secloop.core.finding import Finding

FINGERPRINT_VERSION = "1"
_DIGEST_HEX_LENGTH = 32


def fingerprint_subject(finding: Finding) -> str:
    """Step (1): the place the problem lives, independent of line numbers."""
    location = finding.location
    if location.path is not None:
        return location.path
    if location.resource is not None:
        return location.resource.display
    if finding.package is not None:
        return finding.package.purl
    return ""


def fingerprint_anchor(finding: Finding) -> str:
    """Step (2): the scanner's anchor, else collapsed evidence, else the start line."""
    if finding.anchor:
        return finding.anchor
    if finding.evidence:
        return " ".join(finding.evidence.split())
    if finding.location.start_line is not None:
        return f"line:{finding.location.start_line}"
    return ""


def base_fingerprint(finding: Finding) -> str:
    """Step (3): the hash of kind, rule, subject and anchor."""
    return fingerprint_digest(
        finding.kind.value,
        finding.rule_id,
        fingerprint_subject(finding),
        fingerprint_anchor(finding),
    )


def fingerprint_digest(kind: str, rule_id: str, subject: str, anchor: str) -> str:
    """Step (3) from its parts (steps 1 and 2 already applied)."""
    parts = (f"secloop-fp/{FINGERPRINT_VERSION}", kind, rule_id, subject, anchor)
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    return digest[:_DIGEST_HEX_LENGTH]


def number_occurrences(bases: Sequence[tuple[str, tuple[int, int]]]) -> list[str]:
    """Step (4) over (base, (line, column)) pairs: ``base:n`` for each, n counting the
    pairs of that base in position order (ties in input order), from 1.

    A scanner whose findings of one base all come from one file (its path is the
    subject) can number them itself and construct each finding once, with its
    fingerprint: :func:`assign_fingerprints` keeps fingerprints findings carry.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for index, (base, _) in enumerate(bases):
        groups[base].append(index)
    numbered = [""] * len(bases)
    for base, indexes in groups.items():
        indexes.sort(key=lambda i: bases[i][1])
        for occurrence, index in enumerate(indexes, start=1):
            numbered[index] = f"{base}:{occurrence}"
    return numbered


def _position(finding: Finding) -> tuple[int, int]:
    location = finding.location
    return (location.start_line or 0, location.start_column or 0)


def assign_fingerprints(findings: Iterable[Finding]) -> list[Finding]:
    """Step (4): give each finding without a fingerprint ``base:occurrence``.

    Findings that already carry one (imported from another report) keep it. The
    input order is preserved.
    """
    ordered = list(findings)
    pending = [index for index, finding in enumerate(ordered) if not finding.fingerprint]
    bases = [(base_fingerprint(ordered[i]), _position(ordered[i])) for i in pending]
    for index, fingerprint in zip(pending, number_occurrences(bases), strict=True):
        ordered[index] = replace(ordered[index], fingerprint=fingerprint)
    return ordered
