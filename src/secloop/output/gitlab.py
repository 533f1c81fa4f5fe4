"""GitLab security report artefacts (schema v15): SAST, secret detection, dependency
scanning and container scanning.

GitLab ingests one JSON report per type from a job's ``artifacts:reports`` and shows
it in merge requests and the vulnerability report. Each type is its own format
(``gitlab-sast`` ...), fed by the findings of the matching kinds:

==========================  =========================================================
format                      findings
==========================  =========================================================
gitlab-sast                 code and misconfiguration (GitLab files IaC under SAST)
gitlab-secret-detection     secrets
gitlab-dependency-scanning  vulnerabilities, when the target is not an image
gitlab-container-scanning   vulnerabilities, when the target is an image or rootfs
==========================  =========================================================

Suppressed findings are left out (GitLab then shows them as no longer detected);
findings unchanged from a baseline stay in, because GitLab tracks state itself. Each
vulnerability ``id`` is a UUID derived from secloop's fingerprint, so it is stable
across runs, and the first identifier (GitLab's *primary identifier*, which it tracks
vulnerabilities by) is the secloop rule id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from secloop.core.finding import Finding, FindingKind
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import TargetKind
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = [
    "GITLAB_SCHEMA_VERSION",
    "GitlabContainerScanningFormatter",
    "GitlabDependencyScanningFormatter",
    "GitlabSastFormatter",
    "GitlabSecretDetectionFormatter",
]

GITLAB_SCHEMA_VERSION = "15.0.7"
MAX_IDENTIFIERS = 20  # GitLab keeps only the first 20
_ID_NAMESPACE = uuid.UUID("6f1c1f0e-5b1a-4f59-9d1e-5ec100b5ec10")
_NO_COMMIT = "0000000"  # GitLab's own analyzers use it when the scan is not of a commit
IMAGE_TARGETS = frozenset(
    {TargetKind.IMAGE_ARCHIVE, TargetKind.OCI_LAYOUT, TargetKind.REGISTRY_IMAGE, TargetKind.ROOTFS}
)
SEVERITY_NAMES: Mapping[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.UNKNOWN: "Unknown",
}

Json = dict[str, Any]


def _time(moment: datetime) -> str:
    """The schema's ``YYYY-MM-DDTHH:MM:SS`` pattern (no zone: UTC is implied)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _identifiers(finding: Finding) -> list[Json]:
    identifiers: list[Json] = [
        {"type": "secloop_rule_id", "name": f"secloop {finding.rule_id}", "value": finding.rule_id}
    ]
    detail = finding.vulnerability
    if detail is not None:
        for advisory in dict.fromkeys((detail.advisory_id, *detail.aliases)):
            kind = advisory.split("-", 1)[0].lower() if "-" in advisory else "advisory"
            identifiers.append({"type": kind, "name": advisory, "value": advisory})
    for cwe in finding.frameworks.get("cwe", ()):
        number = cwe.upper().removeprefix("CWE-")
        identifiers.append(
            {
                "type": "cwe",
                "name": f"CWE-{number}",
                "value": number,
                "url": f"https://cwe.mitre.org/data/definitions/{number}.html",
            }
        )
    return identifiers[:MAX_IDENTIFIERS]


def _file_location(finding: Finding) -> Json:
    location = finding.location
    path = location.path
    if path is None and finding.package is not None and finding.package.locations:
        path = finding.package.locations[0].path
    body: Json = {"file": path or (location.resource.display if location.resource else "")}
    if location.start_line is not None:
        body["start_line"] = location.start_line
        body["end_line"] = location.end_line or location.start_line
    return body


def _dependency(finding: Finding) -> Json:
    package = finding.package
    name = package.name if package is not None else finding.rule_id
    version = package.version if package is not None else ""
    dependency: Json = {"package": {"name": name}, "version": version}
    if package is not None and package.direct is not None:
        dependency["direct"] = package.direct  # schema v15: a direct, top-level dependency
    return dependency


class _GitlabFormatter(Formatter):
    """One report type: which findings it takes and how it places them."""

    report_type: str
    kinds: frozenset[FindingKind]

    def wants(self, finding: Finding, result: ScanResult) -> bool:
        return finding.kind in self.kinds and not finding.suppressed

    def location(self, finding: Finding, result: ScanResult) -> Json:
        return _file_location(finding)

    def render(self, result: ScanResult, context: ReportContext) -> str:
        vulnerabilities = [
            self._vulnerability(f, result) for f in result.findings if self.wants(f, result)
        ]
        document: Json = {
            "version": GITLAB_SCHEMA_VERSION,
            "scan": self._scan(result),
            "vulnerabilities": vulnerabilities,
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def _scan(self, result: ScanResult) -> Json:
        tool = {
            "id": "secloop",
            "name": "secloop",
            "vendor": {"name": "secloop"},
            "version": result.tool_version,
        }
        return {
            "analyzer": tool,
            "scanner": tool,
            "type": self.report_type,
            "start_time": _time(result.started_at),
            "end_time": _time(result.finished_at),
            "status": "success",
        }

    def _vulnerability(self, finding: Finding, result: ScanResult) -> Json:
        body: Json = {
            "id": str(
                uuid.uuid5(
                    _ID_NAMESPACE, f"{self.report_type}/{finding.rule_id}/{finding.fingerprint}"
                )
            ),
            "name": finding.title,
            "description": finding.message,
            "severity": SEVERITY_NAMES[finding.severity],
            "identifiers": _identifiers(finding),
            "location": self.location(finding, result),
        }
        if finding.remediation:
            body["solution"] = finding.remediation
        links = [{"url": ref} for ref in finding.references if ref.startswith("https://")]
        if links:
            body["links"] = links
        return body


class GitlabSastFormatter(_GitlabFormatter):
    format = OutputFormat.GITLAB_SAST
    report_type = "sast"
    kinds = frozenset({FindingKind.CODE, FindingKind.MISCONFIGURATION})


class GitlabSecretDetectionFormatter(_GitlabFormatter):
    format = OutputFormat.GITLAB_SECRET_DETECTION
    report_type = "secret_detection"
    kinds = frozenset({FindingKind.SECRET})

    def location(self, finding: Finding, result: ScanResult) -> Json:
        return {**_file_location(finding), "commit": {"sha": _NO_COMMIT}}


class GitlabDependencyScanningFormatter(_GitlabFormatter):
    format = OutputFormat.GITLAB_DEPENDENCY_SCANNING
    report_type = "dependency_scanning"
    kinds = frozenset({FindingKind.VULNERABILITY})

    def wants(self, finding: Finding, result: ScanResult) -> bool:
        return super().wants(finding, result) and result.target.kind not in IMAGE_TARGETS

    def location(self, finding: Finding, result: ScanResult) -> Json:
        return {"file": _file_location(finding)["file"], "dependency": _dependency(finding)}


class GitlabContainerScanningFormatter(_GitlabFormatter):
    format = OutputFormat.GITLAB_CONTAINER_SCANNING
    report_type = "container_scanning"
    kinds = frozenset({FindingKind.VULNERABILITY})

    def wants(self, finding: Finding, result: ScanResult) -> bool:
        return super().wants(finding, result) and result.target.kind in IMAGE_TARGETS

    def location(self, finding: Finding, result: ScanResult) -> Json:
        system = result.operating_system
        return {
            "dependency": _dependency(finding),
            "operating_system": f"{system.family} {system.version}" if system else "unknown",
            "image": result.target.name,
        }


FORMATTERS: Mapping[OutputFormat, Callable[[], _GitlabFormatter]] = {
    cls.format: cls
    for cls in (
        GitlabSastFormatter,
        GitlabSecretDetectionFormatter,
        GitlabDependencyScanningFormatter,
        GitlabContainerScanningFormatter,
    )
}
