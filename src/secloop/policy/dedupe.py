"""De-duplicate peer-tool findings (Bandit, Semgrep) against secloop's own.

Why here: the engine runs scanners independently, file by file, and has no step that
sees every scanner's findings at once; the policy runs once over the finished result,
before anything is filtered, suppressed or reported, so it is the one place a
cross-scanner rule fits without changing the scan interface.

Steps:

1. Rank each finding: secloop's own scanners first, then the peers in the order of
   ``PEER_SCANNERS`` (Bandit before Semgrep). Own findings are never dropped.
2. Key each finding by place and meaning: ``(path, start line, CWE)`` for each CWE in
   its ``cwe`` framework, plus ``(path, start line, tool, tool rule id)`` for each peer
   rule id it names (an own finding names them through its rule's ``peers``; a peer
   finding through the framework named after its tool, e.g. ``{"bandit": ("B506",)}``).
   The second key catches pairs whose CWEs differ (secloop files ``yaml.load`` under
   CWE-502, Bandit under CWE-20). Findings without a path and line have no key.
3. A peer finding whose key a strictly better-ranked finding already holds (never one
   of the same tool) is dropped, and the
   kept finding records it in ``frameworks["reported-by"]`` as ``tool:rule`` (for
   example ``bandit:B602``), so reports show that a second tool agrees.

The kept finding's fingerprint, severity and rule are unchanged: adding or removing
a peer tool never changes which findings a baseline or an ignore file matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from secloop.core.finding import Finding
from secloop.core.rule import Rule

__all__ = ["PEER_SCANNERS", "REPORTED_BY", "dedupe_peer_findings"]

#: Scanners that wrap third-party tools, best first; every other scanner is secloop's own.
PEER_SCANNERS: tuple[str, ...] = ("bandit", "semgrep")
REPORTED_BY = "reported-by"

Key = tuple[str, ...]


def _rank(finding: Finding) -> int:
    """Step (1)."""
    if finding.scanner in PEER_SCANNERS:
        return PEER_SCANNERS.index(finding.scanner) + 1
    return 0


def _keys(finding: Finding, rules: Mapping[str, Rule]) -> list[Key]:
    """Step (2)."""
    location = finding.location
    if location.path is None or location.start_line is None:
        return []
    place = (location.path, str(location.start_line))
    keys: list[Key] = [(*place, "cwe", cwe.upper()) for cwe in finding.frameworks.get("cwe", ())]
    for tool in PEER_SCANNERS:
        ids: tuple[str, ...] = finding.frameworks.get(tool, ())
        rule = rules.get(finding.rule_id)
        if _rank(finding) == 0 and rule is not None and tool in rule.peers:
            ids = (*ids, rule.peers[tool])
        keys += [(*place, tool, rule_id) for rule_id in ids]
    return keys


def _with_reporter(kept: Finding, duplicate: Finding) -> Finding:
    native = duplicate.frameworks.get(duplicate.scanner, ())
    label = f"{duplicate.scanner}:{native[0] if native else duplicate.rule_id}"
    reporters = kept.frameworks.get(REPORTED_BY, ())
    if label in reporters:
        return kept
    frameworks = {**kept.frameworks, REPORTED_BY: (*reporters, label)}
    return replace(kept, frameworks=frameworks)


def dedupe_peer_findings(
    findings: Sequence[Finding], rules: Mapping[str, Rule] | None = None
) -> list[Finding]:
    """``findings`` without peer duplicates, in their original order (step 3).

    ``rules`` is the result's rule catalogue, which holds secloop rules' peer ids.
    """
    catalogue = rules or {}
    kept: dict[int, Finding] = {}
    owners: dict[Key, int] = {}
    for index in sorted(range(len(findings)), key=lambda i: _rank(findings[i])):
        finding = findings[index]
        keys = _keys(finding, catalogue)
        owner = next((owners[k] for k in keys if k in owners), None)
        # Only a better-ranked tool absorbs a finding: two results of one tool on one
        # line (Bandit's B602 and B607) are two problems, not a duplicate.
        if owner is not None and _rank(finding) > _rank(findings[owner]):
            kept[owner] = _with_reporter(kept[owner], finding)
            continue
        kept[index] = finding
        for key in keys:
            owners.setdefault(key, index)
    return [kept[i] for i in sorted(kept)]
