"""Baselines: compare a scan with a previous report so only new findings gate.

A finding is *unchanged* when the previous report holds a finding with the same
fingerprint, *new* otherwise (SARIF 2.1.0 section 3.27.24 ``baselineState``). The
fingerprint recipe (secloop.core.fingerprint) ignores line numbers, so a finding
does not turn new because lines were added above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from secloop.core.finding import BaselineState, Finding
from secloop.core.result import ScanResult


def baseline_fingerprints(previous: ScanResult) -> frozenset[str]:
    return frozenset(f.fingerprint for f in previous.findings if f.fingerprint)


def mark_baseline(findings: Sequence[Finding], known: frozenset[str]) -> list[Finding]:
    """Give every finding its baseline state against the known fingerprints."""
    return [
        replace(
            finding,
            baseline_state=(
                BaselineState.UNCHANGED if finding.fingerprint in known else BaselineState.NEW
            ),
        )
        for finding in findings
    ]


def resolved_since(previous: ScanResult, findings: Sequence[Finding]) -> int:
    """How many findings of the baseline are no longer reported."""
    current = {f.fingerprint for f in findings}
    return sum(1 for fp in baseline_fingerprints(previous) if fp not in current)
