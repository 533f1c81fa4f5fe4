"""Correlation: when findings from different reports are the same problem.

Pure functions over core values; storage applies them. Two kinds of key:

* **Vulnerability keys** ``vuln:<ID>|<package>|<version>[|<workload>]``, one per
  advisory id and alias (CVE, GHSA, PYSEC, ...). The key is exact (advisory,
  package, installed version), so two findings sharing one are the same
  vulnerability whichever tool or database named it, even within one tool's report
  (OSV-Scanner lists a GHSA and its PYSEC twin separately). Paths are left out on
  purpose (Trivy names the manifest, Grype the installed files); a Kubernetes
  workload is kept, because two workloads are two images to fix.
* **Rule keys** ``rule:<secloop rule id>|<subject>``. A Checkov, Kubescape or Trivy
  rule id is mapped to secloop's rule through the ``peers`` metadata of secloop's
  rules; the subject is the Kubernetes resource, else the path. A resource is coarser
  than a container, so rule keys merge only findings from *different* tools: one
  tool's two findings stay two.

Each key carries a human reason ("checkov CKV_K8S_16 is secloop SL-K8S-001"), stored
with the merge so a user sees why a finding lists several tools.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from secloop.core.finding import Finding, FindingKind
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.server.ingest.interface import ImportedReport, ImportFormat

__all__ = ["CorrelationKey", "PeerIndex", "correlation_keys", "fingerprint_key", "tool_of"]

_PYPI_SEPARATORS = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class CorrelationKey:
    """``value`` is compared; ``reason`` explains the merge; ``cross_tool_only`` as above."""

    value: str
    reason: str
    cross_tool_only: bool = False


class PeerIndex:
    """Maps ``(tool, peer rule id)`` to the secloop rule ids that declare it as a peer."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._peers: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._own: set[str] = set()
        self._causes: dict[str, tuple[RootCause, str]] = {}  # rule id -> (cause, family)
        self.extend(rules)

    def extend(self, rules: Iterable[Rule]) -> None:
        for rule in rules:
            self._own.add(rule.id)
            if rule.root_cause is not None:
                family = rule.tags[0] if rule.tags else rule.id.rsplit("-", 1)[0]
                self._causes[rule.id] = (rule.root_cause, family)
            for tool, peer_id in rule.peers.items():
                ids = self._peers[(tool.lower(), peer_id.upper())]
                if rule.id not in ids:
                    ids.append(rule.id)

    def with_rules(self, rules: Iterable[Rule]) -> PeerIndex:
        """A copy that also knows the rules shipped inside a report."""
        copy = PeerIndex(())
        copy._peers = defaultdict(list, {k: list(v) for k, v in self._peers.items()})
        copy._own = set(self._own)
        copy._causes = dict(self._causes)
        copy.extend(rules)
        return copy

    def canonical(self, tool: str, rule_id: str) -> list[tuple[str, str]]:
        """``(secloop rule id, reason)`` pairs for a tool's rule; empty when unmapped."""
        if rule_id in self._own:
            return [(rule_id, f"secloop rule {rule_id}")]
        ids = self._peers.get((tool.lower(), rule_id.upper()), [])
        return [(own, f"{tool} {rule_id} is secloop {own} (rule peers)") for own in ids]

    def root_causes(self, tool: str, rule_id: str) -> list[tuple[RootCause, str]]:
        """``(root cause, rule family)`` of a tool's rule, through its secloop rule(s)."""
        causes = (self._causes.get(own) for own, _ in self.canonical(tool, rule_id))
        return list(dict.fromkeys(cause for cause in causes if cause is not None))

    @classmethod
    def from_registry(cls) -> PeerIndex:
        """Every rule of every scanner secloop ships (imported here: the scan stack is big)."""
        from secloop.scan.registry import default_registry

        return cls(rule for scanner in default_registry().scanners for rule in scanner.rules())


def tool_of(report: ImportedReport, finding: Finding) -> str:
    """The tool credited with a finding: secloop for its own reports, else the scanner."""
    if report.format is ImportFormat.SECLOOP:
        return "secloop"
    return (finding.scanner or report.tool).lower()


def fingerprint_key(finding: Finding) -> str:
    return f"fp:{finding.fingerprint}"


def _package_name(ecosystem: str, name: str) -> str:
    lowered = name.lower()
    if ecosystem.lower() in {"pypi", "pip", "python"} or ecosystem.startswith("PyPI"):
        return _PYPI_SEPARATORS.sub("-", lowered)
    return lowered


def _vulnerability_keys(finding: Finding) -> list[CorrelationKey]:
    detail, package = finding.vulnerability, finding.package
    if detail is None or package is None or not package.name:
        return []
    name = _package_name(package.ecosystem, package.name)
    version = detail.installed_version or package.version
    ids = dict.fromkeys(i.upper() for i in (detail.advisory_id, *detail.aliases) if i)
    resource = finding.location.resource
    workload = f"|{resource.display}" if resource is not None else ""
    return [
        CorrelationKey(
            value=f"vuln:{advisory}|{name}|{version}{workload}",
            reason=f"same advisory {advisory} for {package.name} {version}",
        )
        for advisory in ids
    ]


def _subject(finding: Finding) -> str | None:
    resource = finding.location.resource
    if resource is not None:
        return f"{resource.kind}/{resource.namespace or 'default'}/{resource.name}"
    path = finding.location.path
    return path.lstrip("/") if path else None


def _rule_keys(finding: Finding, tool: str, peers: PeerIndex) -> list[CorrelationKey]:
    subject = _subject(finding)
    if subject is None:
        return []
    return [
        CorrelationKey(value=f"rule:{own}|{subject}", reason=reason, cross_tool_only=True)
        for own, reason in peers.canonical(tool, finding.rule_id)
    ]


def correlation_keys(finding: Finding, tool: str, peers: PeerIndex) -> list[CorrelationKey]:
    """Every key under which ``finding`` may merge with a finding from another report."""
    if finding.kind is FindingKind.VULNERABILITY:
        return _vulnerability_keys(finding)
    if finding.kind is FindingKind.MISCONFIGURATION:
        return _rule_keys(finding, tool, peers)
    return []


def merge_reasons(keys: Mapping[str, str], matched: Iterable[str]) -> str:
    """One line naming every key two findings share, for the merge record."""
    return "; ".join(dict.fromkeys(keys[value] for value in matched if value in keys))
