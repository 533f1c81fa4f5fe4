"""The CI gate: does this result fail the build?

Only active findings count (not suppressed, not unchanged from the baseline). A scan
that read nothing at all proves nothing, so it fails closed unless the user says an
empty target is expected.

Exploit criteria (``--fail-on-kev``, ``--epss-above``) judge vulnerability findings by
the local KEV/EPSS cache. A criterion whose feed was never loaded cannot pass or
fail anything, so asking for it is refused (fail closed) instead of passing silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from secloop.core.errors import NothingScannedError, UsageError
from secloop.core.finding import Finding
from secloop.core.result import ScanResult, SkipReason
from secloop.core.severity import Severity
from secloop.intel.errors import IntelCacheMissingError
from secloop.intel.model import ExploitSignal, IntelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ExploitGate:
    """Fail on vulnerabilities in CISA KEV and/or with EPSS probability >= ``epss_above``."""

    fail_on_kev: bool = False
    epss_above: float | None = None

    def __post_init__(self) -> None:
        if self.epss_above is not None and not 0.0 <= self.epss_above <= 1.0:
            raise UsageError(
                f"--epss-above {self.epss_above}: an EPSS probability is between 0 and 1"
            )

    @property
    def active(self) -> bool:
        return self.fail_on_kev or self.epss_above is not None

    def needed_feeds(self) -> tuple[str, ...]:
        return (("kev",) if self.fail_on_kev else ()) + (
            ("epss",) if self.epss_above is not None else ()
        )

    def require_feeds(self, intel: IntelSnapshot, cache: str) -> None:
        """Refuse to judge by a feed that is not in the cache at ``cache``."""
        missing = [name for name in self.needed_feeds() if not intel.has_feed(name)]
        if missing:
            options = {"kev": "--fail-on-kev", "epss": "--epss-above"}
            asked = " and ".join(options[name] for name in missing)
            raise IntelCacheMissingError(
                f"{asked} needs the {' and '.join(n.upper() for n in missing)} feed, "
                f"but the intelligence cache {cache} has none; run `secloop intel update` "
                "first (--kev-file/--epss-file work offline; SECLOOP_INTEL_CACHE names "
                "another cache)"
            )

    def blocks(self, signal: ExploitSignal | None) -> bool:
        if signal is None:
            return False
        if self.fail_on_kev and signal.in_kev:
            return True
        return (
            self.epss_above is not None
            and signal.epss is not None
            and signal.epss >= self.epss_above
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GateVerdict:
    threshold: Severity | None  # None: no severity threshold, only exploit criteria
    blocking: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.blocking


def evaluate_gate(
    result: ScanResult,
    *,
    fail_on: Severity | None,
    exploit: ExploitGate | None = None,
    signals: Mapping[str, ExploitSignal] | None = None,
) -> GateVerdict:
    """Active findings at or above ``fail_on`` (None: none by severity), plus those the
    exploit criteria block; ``signals`` are keyed by finding fingerprint."""
    known = signals or {}
    blocking = tuple(
        f
        for f in result.active_findings
        if (fail_on is not None and f.severity >= fail_on)
        or (exploit is not None and exploit.blocks(known.get(f.fingerprint)))
    )
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
