"""Apply every policy step to a finished scan, in a fixed order:

0. peer-tool findings (Bandit, Semgrep) that repeat secloop's own are merged into them
   (:mod:`secloop.policy.dedupe`), before anything else sees them;
1. filters remove what the user asked not to see (``--severity``, ``--ignore-unfixed``);
2. the ignore file marks suppressed findings (inline ones were marked during the scan);
   then VEX statements (``--vex``) mark what they declare not affecting the product;
3. the baseline marks each remaining finding new or unchanged;
4. findings of one subject that share a root cause are linked
   (:mod:`secloop.policy.links`), last, so no link names a filtered-out finding.

Suppressed and unchanged findings stay in the result (JSON and SARIF show them,
marked); they do not count for reports' totals or the gate.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date

from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.policy.baseline import baseline_fingerprints, mark_baseline
from secloop.policy.dedupe import dedupe_peer_findings
from secloop.policy.filters import drop_unfixed, keep_severities
from secloop.policy.links import SubjectOf, link_root_causes
from secloop.policy.suppressions import IgnoreFile, apply_ignore_file
from secloop.policy.vex import VexDocument, apply_vex


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    severities: Collection[Severity] | None = None  # None: every severity
    ignore_unfixed: bool = False
    ignore_file: IgnoreFile | None = None
    baseline: ScanResult | None = None
    today: date
    vex: VexDocument | None = None
    link_subject: SubjectOf | None = None  # None: nothing is linked (ADR 6)


def apply_policy(result: ScanResult, settings: PolicySettings) -> ScanResult:
    findings = dedupe_peer_findings(result.findings, result.rules)
    warnings = list(result.warnings)
    if settings.severities is not None:
        findings = keep_severities(findings, settings.severities)
    if settings.ignore_unfixed:
        findings = drop_unfixed(findings)
    if settings.ignore_file is not None:
        findings, expired = apply_ignore_file(findings, settings.ignore_file, today=settings.today)
        warnings.extend(expired)
    if settings.vex is not None:
        findings = apply_vex(findings, settings.vex)
    if settings.baseline is not None:
        findings = mark_baseline(findings, baseline_fingerprints(settings.baseline))
    if settings.link_subject is not None:
        findings = link_root_causes(findings, result.rules, settings.link_subject)
    fired = {f.rule_id for f in findings}
    rules = {rule_id: rule for rule_id, rule in result.rules.items() if rule_id in fired}
    return replace(result, findings=tuple(findings), warnings=tuple(warnings), rules=rules)
