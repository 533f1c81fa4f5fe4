"""The CI gate: does this result fail the build?

Only active findings count (not suppressed, not unchanged from the baseline). A scan
that read nothing at all proves nothing, so it fails closed unless the user says an
empty target is expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from secloop.core.errors import NothingScannedError
from secloop.core.finding import Finding
from secloop.core.result import ScanResult, SkipReason
from secloop.core.severity import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class GateVerdict:
    threshold: Severity
    blocking: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.blocking


def evaluate_gate(result: ScanResult, *, fail_on: Severity) -> GateVerdict:
    blocking = tuple(f for f in result.active_findings if f.severity >= fail_on)
    return GateVerdict(threshold=fail_on, blocking=blocking)


def require_coverage(result: ScanResult) -> None:
    """Raise NothingScannedError when no input was scanned, explaining what happened."""
    if result.scanned:
        return
    failed = len(result.failed)
    skipped = sum(1 for s in result.skipped if s.reason is not SkipReason.IGNORED)
    ignored = len(result.skipped) - skipped
    detail = (
        f"{failed} failed, {skipped} skipped, {ignored} ignored, "
        f"{result.files_without_scanner} without a matching scanner"
    )
    raise NothingScannedError(
        f"nothing in {result.target.name} could be scanned ({detail}); "
        "pass --allow-empty if an empty result is expected"
    )
