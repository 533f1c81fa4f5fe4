"""The terminal report: active findings per subject, the coverage manifest, a summary.

Only *active* findings get rows: a suppressed or baseline-unchanged finding was
already judged, and listing it again would bury what needs attention. They still
appear as counts in the summary line, so nothing disappears silently; the same goes
for skipped and failed inputs, which get their own section.

All user-controlled text (paths, messages, reasons) is passed to rich as
:class:`rich.text.Text`, never as markup, so a ``[bold]`` in a file cannot restyle
or hide the report. The console writes to a string with an explicit width and colour
system, so the text does not depend on the terminal or the environment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from secloop.core.exposure import Exposure, WorkloadExposure
from secloop.core.finding import BaselineState, Finding
from secloop.core.fingerprint import fingerprint_subject
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.intel.model import ExploitSignal
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = ["TableFormatter", "summary_line"]

_SEVERITY_STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
    Severity.UNKNOWN: "dim",
}
_NO_SUBJECT = "(target)"


class TableFormatter(Formatter):
    """Human-readable text for a terminal or a CI log."""

    format = OutputFormat.TABLE

    def render(self, result: ScanResult, context: ReportContext) -> str:
        buffer = StringIO()
        console = _console(context, buffer)
        for renderable in _sections(result, context.exploits):
            console.print(renderable)
        # one unwrapped line, so that CI logs can be grepped for it
        console.print(Text(summary_line(result), style="bold"), soft_wrap=True)
        # rich pads cells to the column width; trailing blanks only make diffs noisy
        return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _console(context: ReportContext, buffer: StringIO) -> Console:
    """A console whose output depends only on the context, never on the environment.

    ``_environ={}`` stops rich from reading ``COLUMNS``, ``NO_COLOR``, ``FORCE_COLOR``
    and friends: the report must be the same on a laptop and in CI.
    """
    return Console(
        file=buffer,
        width=context.width,
        color_system="truecolor" if context.color else None,
        force_terminal=context.color,
        force_jupyter=False,
        force_interactive=False,
        no_color=not context.color,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
        _environ={},
    )


def _sections(result: ScanResult, exploits: Mapping[str, ExploitSignal]) -> list[RenderableType]:
    parts: list[RenderableType] = [_header(result)]
    active = _links_to_rows([finding for finding in result.findings if finding.active])
    if active:
        parts.extend(_finding_tables(active, exploits))
    else:
        parts.append(Text("No findings.", style="bold green"))
    parts.extend(_coverage_section(result))
    parts.extend(_exposure_section(result.workloads))
    parts.extend(_warnings_section(result.warnings))
    parts.append(Text(""))
    return parts


def _links_to_rows(active: Sequence[Finding]) -> list[Finding]:
    """Root-cause links only to findings that are rows: the table shows active findings,
    and a "linked:" line must not name one the reader cannot find."""
    shown = {finding.fingerprint for finding in active}
    return [
        replace(f, related=tuple(link for link in f.related if link.fingerprint in shown))
        if f.related
        else f
        for f in active
    ]


def _header(result: ScanResult) -> Text:
    target = result.target
    digest = f" ({target.digest})" if target.digest else ""
    finished = result.finished_at.isoformat()
    return Text(
        f"secloop {result.tool_version}: {target.kind.value} {target.name}{digest}, "
        f"finished {finished}",
        style="bold",
    )


def _sort_key(finding: Finding) -> tuple[int, int, int, str, str]:
    location = finding.location
    return (
        -int(finding.severity),
        location.start_line or 0,
        location.start_column or 0,
        finding.rule_id,
        finding.fingerprint,
    )


def group_by_subject(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings per subject (path, else resource, else purl), subjects in name order."""
    groups: defaultdict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[fingerprint_subject(finding) or _NO_SUBJECT].append(finding)
    return {subject: sorted(groups[subject], key=_sort_key) for subject in sorted(groups)}


def _finding_tables(
    active: Sequence[Finding], exploits: Mapping[str, ExploitSignal]
) -> list[RenderableType]:
    tables: list[RenderableType] = []
    for subject, findings in group_by_subject(active).items():
        noun = "finding" if len(findings) == 1 else "findings"
        heading = Text(f"{subject} ({len(findings)} {noun})", style="bold underline")
        tables.append(Group(Text(""), heading, _finding_table(findings, exploits)))
    return tables


def _finding_table(findings: Sequence[Finding], exploits: Mapping[str, ExploitSignal]) -> Table:
    table = Table(box=box.SQUARE, expand=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", overflow="fold")
    table.add_column("Title", ratio=3, overflow="fold")
    table.add_column("Location", ratio=2, overflow="fold")
    for finding in findings:
        table.add_row(
            Text(finding.severity.name, style=_SEVERITY_STYLES[finding.severity]),
            Text(finding.rule_id),
            _title_cell(finding, exploits.get(finding.fingerprint)),
            Text(_location_text(finding)),
        )
    return table


def exploit_text(signal: ExploitSignal) -> str:
    """``KEV since 2021-12-10 (ransomware) · EPSS 0.976 (99.9th percentile)``."""
    parts: list[str] = []
    if signal.kev is not None:
        ransomware = " (ransomware)" if signal.kev.ransomware else ""
        parts.append(f"in CISA KEV since {signal.kev.date_added.isoformat()}{ransomware}")
    if signal.epss is not None and signal.epss_percentile is not None:
        parts.append(f"EPSS {signal.epss:.3f} ({signal.epss_percentile * 100:.1f}th percentile)")
    return " · ".join(parts)


def _title_cell(finding: Finding, signal: ExploitSignal | None = None) -> Text:
    """The title, then the message, fix versions and exploit intelligence when they
    add something."""
    cell = Text(finding.title)
    extra: list[str] = []
    if finding.message and finding.message != finding.title:
        extra.append(finding.message)
    vulnerability = finding.vulnerability
    if vulnerability is not None:
        fixed = ", ".join(vulnerability.fixed_versions) or "no fix available"
        extra.append(f"installed {vulnerability.installed_version}; fixed in: {fixed}")
    if signal is not None:
        extra.append(exploit_text(signal))
    extra.extend(
        f"linked: {link.rule_id} {link.location} ({link.root_cause.value})"
        for link in finding.related
    )
    for line in extra:
        cell.append("\n")
        cell.append(line, style="dim")
    return cell


def _location_text(finding: Finding) -> str:
    location = finding.location
    parts = [location.display] if location.display else []
    if location.path is not None and location.resource is not None:
        parts.append(location.resource.display)
    if location.layer is not None:
        parts.append(f"layer {location.layer.index} {location.layer.diff_id[:19]}")
    if not parts and finding.package is not None:
        parts.append(finding.package.purl)
    return "\n".join(parts)


def _coverage_section(result: ScanResult) -> list[RenderableType]:
    """Skipped inputs as counts per reason, failed inputs one by one with the reason."""
    parts: list[RenderableType] = []
    skipped = Counter(entry.reason for entry in result.skipped)
    if skipped:
        parts.extend([Text(""), Text("Skipped inputs (count per reason)", style="bold")])
        width = max(len(reason.value) for reason in skipped)
        parts.extend(
            Text(f"  {reason.value:<{width}}  {skipped[reason]}") for reason in sorted(skipped)
        )
    if result.failed:
        parts.extend([Text(""), Text("Failed inputs", style="bold red")])
        for entry in sorted(result.failed, key=lambda failed: (failed.path, failed.by)):
            by = f" [{entry.by}]" if entry.by else ""
            parts.append(Text(f"  {entry.path}{by}: {entry.reason}"))
    return parts


_OUTSIDE = (Exposure.INTERNET, Exposure.NODE)  # reachable from outside the cluster


def _exposure_section(workloads: Sequence[WorkloadExposure]) -> list[RenderableType]:
    """Workloads reachable from outside the cluster, each with its widest path; the
    others as counts (the JSON report lists every workload and every path)."""
    if not workloads:
        return []
    outside = sorted(
        (w for w in workloads if w.level in _OUTSIDE),
        key=lambda w: -w.level.rank,  # stable: the report's order within a level
    )
    parts: list[RenderableType] = [Text(""), Text("Exposed workloads", style="bold")]
    for workload in outside:
        more = f" (+{len(workload.paths) - 1} more)" if len(workload.paths) > 1 else ""
        line = f"  {workload.level.value:<8}  {workload.resource.display}: {workload.paths[0]}"
        parts.append(Text(line + more))
    inside = Counter(w.level.value for w in workloads if w.level not in _OUTSIDE)
    if inside:
        counts = ", ".join(f"{inside[level]} {level}" for level in sorted(inside))
        parts.append(Text(f"  not reachable from outside the cluster: {counts}"))
    return parts


def _warnings_section(warnings: Sequence[str]) -> list[RenderableType]:
    if not warnings:
        return []
    parts: list[RenderableType] = [Text(""), Text("Warnings", style="bold yellow")]
    parts.extend(Text(f"  {warning}") for warning in warnings)
    return parts


def summary_line(result: ScanResult) -> str:
    """``Total: 7 (CRITICAL 1, ...); 2 suppressed, 3 unchanged from baseline; 41 files ...``.

    Suppressed and baseline-unchanged counts do not overlap: a suppressed finding is
    counted as suppressed even when it is also in the baseline.
    """
    counts = result.severity_counts(active_only=True)
    by_severity = ", ".join(
        f"{severity.name} {counts[severity]}" for severity in sorted(Severity, reverse=True)
    )
    suppressed = sum(1 for finding in result.findings if finding.suppressed)
    unchanged = sum(
        1
        for finding in result.findings
        if not finding.suppressed and finding.baseline_state is BaselineState.UNCHANGED
    )
    return (
        f"Total: {sum(counts.values())} ({by_severity}); "
        f"{suppressed} suppressed, {unchanged} unchanged from baseline; "
        f"{len(result.scanned)} files scanned, {len(result.skipped)} skipped, "
        f"{len(result.failed)} failed"
    )
