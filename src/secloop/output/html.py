"""A single self-contained HTML report: no external URL, no CDN, works offline.

Everything user-controlled (paths, messages, evidence, reasons) reaches the page only
through Jinja2 with autoescaping on, and only as element text or quoted attribute
values: the page has no inline event handlers, no data embedded in the script, and the
script reads rows through ``dataset`` and writes only ``textContent``. As a second
wall, a Content-Security-Policy allows exactly the one inline style sheet and the one
inline script by their SHA-256 hashes, so markup that slipped through could not run.
Only ``http(s)`` references become links; a ``javascript:`` URL stays inert text.

Charts are SVG whose geometry is computed here, in Python, so the page needs no
charting library and the output is byte-for-byte deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from secloop.core.finding import BaselineState, Finding, FindingKind
from secloop.core.fingerprint import fingerprint_subject
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.output.interface import Formatter, OutputFormat, ReportContext
from secloop.output.templating import csp_hash, packaged_asset, packaged_environment

__all__ = ["HtmlFormatter", "is_web_link"]

_PACKAGE = "secloop.output"
_SEVERITIES = tuple(sorted(Severity, reverse=True))
_CHART_HEIGHT = 120  # pixels available to the tallest severity bar
_KIND_WIDTH = 220  # pixels available to the longest kind bar


class HtmlFormatter(Formatter):
    format = OutputFormat.HTML

    def render(self, result: ScanResult, context: ReportContext) -> str:
        env = packaged_environment(_PACKAGE)
        css = _asset("report.css")
        script = _asset("report.js")
        template = env.get_template("report.html.j2")
        return template.render(
            result=result,
            context=context,
            css=Markup(css),  # noqa: S704 - our packaged file, hashed into the CSP
            script=Markup(script),  # noqa: S704 - our packaged file, hashed into the CSP
            csp=_content_security_policy(css, script),
            severities=_SEVERITIES,
            kinds=tuple(FindingKind),
            counts=result.severity_counts(active_only=True),
            inactive=_inactive_counts(result.findings),
            gate=_gate(result, context.fail_on),
            severity_bars=severity_bars(result),
            kind_bars=kind_bars(result),
            rows=[_row(finding) for finding in sorted(result.findings, key=_sort_key)],
            duration=f"{(result.finished_at - result.started_at).total_seconds():.1f}",
            timestamp=_display_time(result.finished_at),
            skip_reasons=sorted(Counter(entry.reason.value for entry in result.skipped).items()),
        )


def _asset(name: str) -> str:
    return packaged_asset(_PACKAGE, name)


def _content_security_policy(css: str, script: str) -> str:
    return (
        "default-src 'none'; "
        f"style-src {csp_hash(css)}; script-src {csp_hash(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _display_time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def is_web_link(reference: str) -> bool:
    """Only http(s) references become links: ``javascript:`` and ``data:`` stay text."""
    return reference.lower().startswith(("https://", "http://"))


# --- view model --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of an SVG chart: its label, value and geometry in pixels."""

    label: str
    count: int
    css_class: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class _Row:
    finding: Finding
    status: str  # "active", "suppressed" or "unchanged"
    location: str
    search: str
    links: tuple[tuple[str, bool], ...]  # (reference, is a web link)


def severity_bars(result: ScanResult) -> list[Bar]:
    """Vertical bars of active findings per severity, CRITICAL on the left."""
    counts = result.severity_counts(active_only=True)
    peak = max(counts.values()) or 1
    bars: list[Bar] = []
    for index, severity in enumerate(_SEVERITIES):
        height = round(_CHART_HEIGHT * counts[severity] / peak)
        bars.append(
            Bar(
                label=severity.name,
                count=counts[severity],
                css_class=f"sev-{severity.name.lower()}",
                x=10 + index * 62,
                y=20 + _CHART_HEIGHT - height,
                width=44,
                height=height,
            )
        )
    return bars


def kind_bars(result: ScanResult) -> list[Bar]:
    """Horizontal bars of active findings per kind, every kind listed."""
    counts = Counter(finding.kind for finding in result.active_findings)
    peak = max(counts.values(), default=0) or 1
    return [
        Bar(
            label=kind.value,
            count=counts[kind],
            css_class=f"kind-{kind.value}",
            x=130,
            y=10 + index * 26,
            width=round(_KIND_WIDTH * counts[kind] / peak),
            height=18,
        )
        for index, kind in enumerate(FindingKind)
    ]


def _status(finding: Finding) -> str:
    if finding.suppression is not None:
        return "suppressed"
    if finding.baseline_state is BaselineState.UNCHANGED:
        return "unchanged"
    return "active"


def _row(finding: Finding) -> _Row:
    location = finding.location.display or (finding.package.purl if finding.package else "")
    searchable = (
        finding.rule_id,
        finding.title,
        finding.message,
        location,
        finding.scanner,
        finding.package.purl if finding.package else "",
        *(finding.vulnerability.aliases if finding.vulnerability else ()),
    )
    return _Row(
        finding=finding,
        status=_status(finding),
        location=location,
        search=" ".join(part for part in searchable if part).lower(),
        links=tuple((ref, is_web_link(ref)) for ref in finding.references),
    )


def _sort_key(finding: Finding) -> tuple[int, str, int, str, str]:
    return (
        -int(finding.severity),
        fingerprint_subject(finding),
        finding.location.start_line or 0,
        finding.rule_id,
        finding.fingerprint,
    )


def _inactive_counts(findings: Sequence[Finding]) -> dict[str, int]:
    statuses = Counter(_status(finding) for finding in findings)
    return {"suppressed": statuses["suppressed"], "unchanged": statuses["unchanged"]}


def _gate(result: ScanResult, fail_on: Severity) -> dict[str, object]:
    """The verdict the CLI's exit code reflects: active findings at or above ``fail_on``."""
    failing = sum(1 for finding in result.active_findings if finding.severity >= fail_on)
    return {"threshold": fail_on.name, "failing": failing, "passed": failing == 0}
