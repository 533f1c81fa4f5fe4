"""GitLab Code Quality report: a CodeClimate-style JSON array of issues.

GitLab shows these in the merge request diff and widget for every tier, where the
security reports need Ultimate, so this is the report most teams can actually see.
Every active finding of any kind becomes one issue; suppressed findings and those
unchanged from a baseline are left out, because Code Quality compares the merge
request's report with the target branch's and would otherwise show them again.
``fingerprint`` must be unique per issue: it is the SHA-256 of secloop's fingerprint,
so an issue keeps its identity across runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from secloop.core.finding import Finding
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = ["CODE_QUALITY_SEVERITIES", "CodeQualityFormatter"]

CODE_QUALITY_SEVERITIES: Mapping[Severity, str] = {
    Severity.UNKNOWN: "info",
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}


def _path(finding: Finding, result: ScanResult) -> str:
    """Code Quality needs a file: the finding's, its package's manifest, else the target."""
    if finding.location.path is not None:
        return finding.location.path
    package = finding.package
    if package is not None and package.locations:
        return package.locations[0].path
    return result.target.name


def _issue(finding: Finding, result: ScanResult) -> dict[str, Any]:
    place = finding.location.display
    description = f"{finding.rule_id}: {finding.title}"
    if finding.location.resource is not None:
        description += f" ({place})"
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": description,
        "content": {"body": finding.message},
        "categories": ["Security"],
        "severity": CODE_QUALITY_SEVERITIES[finding.severity],
        "fingerprint": hashlib.sha256(
            f"{finding.fingerprint}|{finding.rule_id}".encode()
        ).hexdigest(),
        "location": {
            "path": _path(finding, result),
            "lines": {"begin": finding.location.start_line or 1},
        },
    }


class CodeQualityFormatter(Formatter):
    format = OutputFormat.CODEQUALITY

    def render(self, result: ScanResult, context: ReportContext) -> str:
        issues = [_issue(f, result) for f in result.active_findings]
        return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
