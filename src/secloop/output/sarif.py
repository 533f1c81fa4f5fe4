"""SARIF 2.1.0 for code-scanning services (GitHub, GitLab, Azure DevOps, IDE viewers).

Choices that a consumer can rely on (see docs/formats.md):

* Every finding becomes a result, suppressed and baseline-unchanged ones included:
  SARIF has ``suppressions`` and ``baselineState`` for exactly this, and a service
  that hides them itself keeps its own triage history consistent with ours.
* Rules carry GitHub's ``security-severity`` (a string score) and a ``security`` tag,
  without which GitHub ignores the score, plus secloop's ``peers`` and ``frameworks``
  maps (DESIGN.md, "Rules and checks").
* Paths are relative to ``%SRCROOT%``, which is described but given no absolute
  ``uri``: the report must not depend on the machine that produced it.
* The coverage manifest travels as tool execution notifications (one per skipped or
  failed input) and as summary counts in ``run.properties.coverage``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from secloop.core.finding import Finding, Suppression, SuppressionKind
from secloop.core.location import Location
from secloop.core.result import Failed, ScanResult, Skipped
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.intel.model import ExploitSignal
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = [
    "FINGERPRINT_KEY",
    "SARIF_SCHEMA",
    "SECURITY_SEVERITY",
    "SarifFormatter",
    "build_log",
    "level_for",
]

Json = dict[str, Any]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "secloop/v1"
SRCROOT = "%SRCROOT%"
INPUT_FAILED = "secloop/input-failed"
INPUT_SKIPPED = "secloop/input-skipped"

# GitHub maps security-severity > 9.0 to critical, >= 7.0 high, >= 4.0 medium, else low.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.UNKNOWN: "0.0",
}
_LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.UNKNOWN: "note",
}
_SUPPRESSION_KINDS: dict[SuppressionKind, str] = {
    SuppressionKind.INLINE: "inSource",
    SuppressionKind.EXTERNAL: "external",
}
_INLINE_SOURCE = re.compile(r"^(?P<path>.+):(?P<line>[1-9][0-9]*)$")


def level_for(severity: Severity) -> str:
    """The SARIF ``level`` of a severity: error, warning or note."""
    return _LEVELS[severity]


class SarifFormatter(Formatter):
    format = OutputFormat.SARIF

    def render(self, result: ScanResult, context: ReportContext) -> str:
        """The log as indented JSON; key order is insertion order, so it is deterministic."""
        log = build_log(result, context.exploits)
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def build_log(result: ScanResult, exploits: Mapping[str, ExploitSignal] | None = None) -> Json:
    """The whole SARIF log: one run; ``exploits`` adds KEV/EPSS result properties."""
    run = _run(result, exploits or {})
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _run(result: ScanResult, exploits: Mapping[str, ExploitSignal]) -> Json:
    descriptors, rule_indexes = _descriptors(result)
    linked = {link.fingerprint for f in result.findings for link in f.related}
    places = {f.fingerprint: f for f in result.findings if f.fingerprint in linked}
    return {
        "tool": {"driver": _driver(result, descriptors)},
        "invocations": [_invocation(result)],
        "originalUriBaseIds": {
            SRCROOT: {
                "description": {
                    "text": f"The root of the scanned {result.target.kind.value} "
                    f"{result.target.name!r}; every result path is relative to it."
                }
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(
                finding,
                rule_indexes[finding.rule_id],
                exploits.get(finding.fingerprint),
                places,
            )
            for finding in result.findings
        ],
        "properties": _run_properties(result),
    }


def _driver(result: ScanResult, descriptors: list[Json]) -> Json:
    return {
        "name": "secloop",
        "version": result.tool_version,
        "rules": descriptors,
        "notifications": [
            _notification_descriptor(INPUT_FAILED, "InputFailed", "An input could not be read."),
            _notification_descriptor(INPUT_SKIPPED, "InputSkipped", "An input was not read."),
        ],
    }


def _notification_descriptor(descriptor_id: str, name: str, text: str) -> Json:
    return {"id": descriptor_id, "name": name, "shortDescription": {"text": text}}


def _run_properties(result: ScanResult) -> Json:
    target = result.target
    target_json: Json = {"kind": target.kind.value, "name": target.name}
    if target.digest:
        target_json["digest"] = target.digest
    return {
        "target": target_json,
        "scanners": list(result.scanners),
        "versions": dict(sorted(result.versions.items())),
        "coverage": _coverage_summary(result),
    }


def _coverage_summary(result: ScanResult) -> Json:
    by_reason = Counter(entry.reason.value for entry in result.skipped)
    return {
        "scanned": len(result.scanned),
        "skipped": len(result.skipped),
        "failed": len(result.failed),
        "skippedByReason": dict(sorted(by_reason.items())),
        "filesWithoutScanner": result.files_without_scanner,
    }


# --- rules -------------------------------------------------------------------------


def _descriptors(result: ScanResult) -> tuple[list[Json], dict[str, int]]:
    """One reportingDescriptor per rule id used by a finding, in id order."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    descriptors: list[Json] = []
    for rule_id in sorted(by_rule):
        rule = result.rules.get(rule_id)
        findings = by_rule[rule_id]
        descriptors.append(_from_rule(rule) if rule else _from_findings(rule_id, findings))
    return descriptors, {d["id"]: index for index, d in enumerate(descriptors)}


def _from_rule(rule: Rule) -> Json:
    return _descriptor(
        rule_id=rule.id,
        name=_rule_name(rule.title) or rule.id,
        title=rule.title,
        description=rule.description or rule.title,
        remediation=rule.remediation,
        references=rule.references,
        help_uri=rule.help_uri or next(iter(rule.references), None),
        severity=rule.severity,
        tags=(rule.kind.value, *rule.tags),
        peers=rule.peers,
        frameworks=rule.frameworks,
    )


def _from_findings(rule_id: str, findings: Sequence[Finding]) -> Json:
    """A descriptor synthesised from the findings of a rule missing from the catalogue.

    The highest severity among them rates the rule, so the score never understates.
    """
    first = findings[0]
    frameworks: dict[str, tuple[str, ...]] = {}
    for finding in findings:
        for name, controls in finding.frameworks.items():
            frameworks[name] = tuple(dict.fromkeys((*frameworks.get(name, ()), *controls)))
    return _descriptor(
        rule_id=rule_id,
        name=rule_id,  # an advisory title makes a poor identifier; the id is one
        title=first.title,
        description=first.title,
        remediation=first.remediation or "",
        references=first.references,
        help_uri=next(iter(first.references), None),
        severity=max(finding.severity for finding in findings),
        tags=(first.kind.value,),
        peers={},
        frameworks=frameworks,
    )


def _descriptor(
    *,
    rule_id: str,
    name: str,
    title: str,
    description: str,
    remediation: str,
    references: Sequence[str],
    help_uri: str | None,
    severity: Severity,
    tags: Sequence[str],
    peers: Mapping[str, str],
    frameworks: Mapping[str, Sequence[str]],
) -> Json:
    descriptor: Json = {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": _help(description, remediation, references),
        "defaultConfiguration": {"level": level_for(severity)},
    }
    if help_uri:
        descriptor["helpUri"] = help_uri
    descriptor["properties"] = {
        "security-severity": SECURITY_SEVERITY[severity],
        "tags": list(dict.fromkeys(("security", *tags))),
        "peers": dict(sorted(peers.items())),
        "frameworks": {name: list(frameworks[name]) for name in sorted(frameworks)},
    }
    return descriptor


def _rule_name(title: str) -> str:
    """``Privileged container`` -> ``PrivilegedContainer``, the identifier style SARIF uses."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def _help(description: str, remediation: str, references: Sequence[str]) -> Json:
    text = [description]
    markdown = [description]
    if remediation:
        text.append(f"Remediation: {remediation}")
        markdown.append(f"**Remediation**: {remediation}")
    if references:
        text.append("References:\n" + "\n".join(f"- {ref}" for ref in references))
        markdown.append("**References**\n\n" + "\n".join(f"- <{ref}>" for ref in references))
    return {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)}


# --- results -----------------------------------------------------------------------


def _result(
    finding: Finding,
    rule_index: int,
    signal: ExploitSignal | None,
    places: Mapping[str, Finding],
) -> Json:
    sarif: Json = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level_for(finding.severity),
        "message": {"text": finding.message or finding.title},
    }
    locations = _locations(finding)
    if locations:
        sarif["locations"] = locations
    if finding.related:
        sarif["relatedLocations"] = _related_locations(finding, places)
    if finding.fingerprint:
        sarif["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.baseline_state is not None:
        sarif["baselineState"] = finding.baseline_state.value
    if finding.suppression is not None:
        sarif["suppressions"] = [_suppression(finding.suppression)]
    sarif["properties"] = _result_properties(finding, signal)
    return sarif


def _locations(finding: Finding) -> list[Json]:
    """A physical location for a path; logical ones for a Kubernetes resource or package."""
    location = finding.location
    sarif: Json = {}
    if location.path is not None:
        sarif["physicalLocation"] = _physical(location.path, location)
    logical: list[Json] = []
    if location.resource is not None:
        resource = location.resource
        logical.append(
            {"name": resource.name, "fullyQualifiedName": resource.display, "kind": "resource"}
        )
    elif location.path is None and finding.package is not None:
        package = finding.package
        logical.append({"name": package.name, "fullyQualifiedName": package.purl, "kind": "module"})
    if logical:
        sarif["logicalLocations"] = logical
    return [sarif] if sarif else []


def _related_locations(finding: Finding, places: Mapping[str, Finding]) -> list[Json]:
    """Root-cause links (ADR 6) as SARIF 3.27.22 related locations, each placed where
    the linked finding is and saying why it is linked."""
    related: list[Json] = []
    for number, link in enumerate(finding.related, start=1):
        other = places.get(link.fingerprint)
        placed = _locations(other) if other is not None else []
        where = placed[0] if placed else {}
        text = (
            f"Same root cause ({link.root_cause.value}: {link.root_cause.description}): "
            f"{link.rule_id} at {link.location}"
        )
        related.append({"id": number, **where, "message": {"text": text}})
    return related


def _physical(path: str, location: Location | None = None) -> Json:
    # quote() with only "/" safe also escapes ":", so "a:b" is never read as a URI scheme
    physical: Json = {"artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}}
    if location is not None and location.start_line is not None:
        physical["region"] = _region(location)
    return physical


def _region(location: Location) -> Json:
    region: Json = {"startLine": location.start_line}
    if location.end_line is not None:
        region["endLine"] = location.end_line
    if location.start_column is not None:
        region["startColumn"] = location.start_column
    if location.end_column is not None:
        region["endColumn"] = location.end_column
    return region


def _suppression(suppression: Suppression) -> Json:
    sarif: Json = {
        "kind": _SUPPRESSION_KINDS[suppression.kind],
        "status": "accepted",
        "justification": suppression.reason,
    }
    match = _INLINE_SOURCE.match(suppression.source)
    if suppression.kind is SuppressionKind.INLINE and match:
        line = int(match["line"])
        sarif["location"] = {
            "physicalLocation": _physical(match["path"], Location(start_line=line))
        }
    properties: Json = {"source": suppression.source}
    if suppression.expires is not None:
        properties["expires"] = suppression.expires.isoformat()
    sarif["properties"] = properties
    return sarif


def _exploit_properties(signal: ExploitSignal) -> Json:
    """``kev``/``epss`` properties, as GitHub code scanning shows any result property."""
    properties: Json = {"kev": signal.in_kev}
    if signal.kev is not None:
        properties["kevCve"] = signal.kev_cve
        properties["kevDateAdded"] = signal.kev.date_added.isoformat()
        properties["kevRansomware"] = signal.kev.ransomware
    if signal.epss is not None:
        properties["epss"] = signal.epss
        properties["epssPercentile"] = signal.epss_percentile
        properties["epssCve"] = signal.epss_cve
    return properties


def _result_properties(finding: Finding, signal: ExploitSignal | None) -> Json:
    properties: Json = {
        "kind": finding.kind.value,
        "severity": finding.severity.name,
        "scanner": finding.scanner,
    }
    if finding.package is not None:
        properties["purl"] = finding.package.purl
    vulnerability = finding.vulnerability
    if vulnerability is not None:
        properties["vulnerabilityIds"] = [vulnerability.advisory_id, *vulnerability.aliases]
        properties["installedVersion"] = vulnerability.installed_version
        properties["fixedVersions"] = list(vulnerability.fixed_versions)
        if vulnerability.cvss_vectors:
            properties["cvssVectors"] = list(vulnerability.cvss_vectors)
        if signal is not None:
            properties.update(_exploit_properties(signal))
    if finding.verification is not None:  # --verify: what the secret's provider answered
        properties["verification"] = {
            "status": finding.verification.status.value,
            "verifier": finding.verification.verifier,
        }
    layer = finding.location.layer
    if layer is not None:
        properties["layer"] = {"diffId": layer.diff_id, "index": layer.index}
        if layer.created_by:
            properties["layer"]["createdBy"] = layer.created_by
    if finding.frameworks:
        frameworks = finding.frameworks
        properties["frameworks"] = {name: list(frameworks[name]) for name in sorted(frameworks)}
    return properties


# --- invocation and coverage -------------------------------------------------------


def _invocation(result: ScanResult) -> Json:
    """Skipped and failed inputs did not stop the scan: ``executionSuccessful`` is true."""
    execution = [_failed_notification(entry) for entry in result.failed]
    execution.extend(_skipped_notification(entry) for entry in result.skipped)
    return {
        "executionSuccessful": True,
        "startTimeUtc": _utc(result.started_at),
        "endTimeUtc": _utc(result.finished_at),
        "toolExecutionNotifications": execution,
        "toolConfigurationNotifications": [
            {"level": "warning", "message": {"text": warning}} for warning in result.warnings
        ],
    }


def _failed_notification(entry: Failed) -> Json:
    notification: Json = {
        "level": "error",
        "message": {"text": f"{entry.path}: {entry.reason}"},
        "locations": [{"physicalLocation": _physical(entry.path)}],
        "descriptor": {"id": INPUT_FAILED, "index": 0},
    }
    if entry.by:
        notification["properties"] = {"by": entry.by}
    return notification


def _skipped_notification(entry: Skipped) -> Json:
    detail = f": {entry.detail}" if entry.detail else ""
    return {
        "level": "note",
        "message": {"text": f"{entry.path}: skipped ({entry.reason.value}){detail}"},
        "locations": [{"physicalLocation": _physical(entry.path)}],
        "descriptor": {"id": INPUT_SKIPPED, "index": 1},
        "properties": {"reason": entry.reason.value},
    }


def _utc(moment: datetime) -> str:
    """SARIF's UTC form with milliseconds; a naive time is taken to be UTC already."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
