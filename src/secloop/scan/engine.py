"""The scan pipeline: open the target, walk it once, analyze and scan each file, then
scan the inventory. Each file is read at most once and shared by every plugin.

Plugin isolation: a plugin that raises ScanError on a file records that file as
failed *by that plugin* and the scan goes on. A plugin that raises anything else has a
bug; the same happens, with the error named as internal, because one faulty rule must
not cost a user the whole scan, and the coverage manifest says exactly what was lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from secloop import __version__
from secloop.core.errors import Error
from secloop.core.exposure import WorkloadExposure
from secloop.core.finding import Finding
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.package import Package
from secloop.core.result import (
    Coverage,
    Failed,
    OperatingSystem,
    Scanned,
    ScanResult,
    Skipped,
    SkipReason,
)
from secloop.core.rule import Rule
from secloop.policy.inline import INLINE_MARKER, find_inline_suppression
from secloop.scan.interface import (
    Analyzer,
    Artifact,
    Declaration,
    FileContent,
    FileEntry,
    Inventory,
    Observation,
    PartialFailure,
    ScanLimits,
    Scanner,
)
from secloop.scan.registry import Registry

__all__ = ["ProgressSink", "ScanRequest", "run_scan", "scan_artifact"]

logger = logging.getLogger(__name__)


class ProgressSink(Protocol):
    """Told about each file as the scan reaches it (a terminal progress bar, a log)."""

    def file_started(self, path: str) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanRequest:
    spec: str
    scanners: tuple[str, ...] | None = None  # None: every registered scanner
    limits: ScanLimits = field(default_factory=ScanLimits)
    excludes: tuple[str, ...] = ()
    use_gitignore: bool = True
    # Collect packages even when no selected scanner reads them (an SBOM report).
    collect_inventory: bool = False


Plugin = Analyzer | Scanner


@dataclass(slots=True)
class _Collector:
    """Mutable accumulation for one scan; turned into a frozen ScanResult at the end."""

    coverage: list[Coverage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    operating_system: OperatingSystem | None = None
    files_without_scanner: int = 0
    warnings: list[str] = field(default_factory=list)


def run_scan(
    request: ScanRequest,
    registry: Registry,
    *,
    progress: ProgressSink | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanResult:
    """Open ``request.spec`` with the registry's openers and scan it."""
    scanners = registry.select_scanners(request.scanners)
    opener = registry.opener_for(request.spec)
    with opener.open(
        request.spec,
        limits=request.limits,
        excludes=request.excludes,
        use_gitignore=request.use_gitignore,
    ) as artifact:
        return scan_artifact(
            artifact,
            analyzers=registry.analyzers,
            scanners=scanners,
            progress=progress,
            clock=clock,
            collect_inventory=request.collect_inventory,
        )


def scan_artifact(
    artifact: Artifact,
    *,
    analyzers: Sequence[Analyzer],
    scanners: Sequence[Scanner],
    progress: ProgressSink | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    collect_inventory: bool = False,
) -> ScanResult:
    """Run the pipeline over an opened artifact.

    Analyzers run only when a selected scanner reads the inventory or
    ``collect_inventory`` asks for it (an SBOM report): ``--scanners secret`` does not
    pay for parsing lockfiles and package databases nobody looks at.
    """
    if not collect_inventory and not any(scanner.uses_inventory for scanner in scanners):
        analyzers = ()
    _admit_claimed(artifact, analyzers)
    started_at = clock()
    timer = time.perf_counter()
    collected = _Collector()
    for item in artifact.walk():
        if isinstance(item, Skipped):
            collected.coverage.append(item)
            continue
        if progress is not None:
            progress.file_started(item.path)
        _process_file(artifact, item, analyzers, scanners, collected)
    files_seconds = time.perf_counter() - timer

    inventory = Inventory(
        packages=_with_direct_marks(collected),
        operating_system=collected.operating_system,
    )
    inventory_timer = time.perf_counter()
    for scanner in scanners:
        collected.findings.extend(_run_inventory_scan(scanner, inventory, collected))
        collected.findings.extend(_run_artifact_scan(scanner, artifact, inventory, collected))
    for scanner in scanners:
        collected.findings.extend(_run_observation_scan(scanner, collected))
    workloads = [w for s in scanners for w in _run_conclude(s, collected)]
    inventory_seconds = time.perf_counter() - inventory_timer

    findings = tuple(assign_fingerprints(collected.findings))
    return ScanResult(
        target=artifact.target,
        started_at=started_at,
        finished_at=clock(),
        tool_version=__version__,
        scanners=tuple(s.name for s in scanners),
        findings=findings,
        rules=_rules_catalogue(scanners, findings),
        packages=inventory.packages,
        operating_system=inventory.operating_system,
        coverage=tuple(collected.coverage),
        files_without_scanner=collected.files_without_scanner,
        timings={
            "files_seconds": round(files_seconds, 6),
            "inventory_seconds": round(inventory_seconds, 6),
            "total_seconds": round(time.perf_counter() - timer, 6),
        },
        warnings=tuple(collected.warnings),
        workloads=tuple(workloads),
    )


def _with_direct_marks(collected: _Collector) -> tuple[Package, ...]:
    """The packages, with ``direct`` learnt from the manifests beside their lockfiles."""
    if not collected.declarations:
        return tuple(collected.packages)
    # Imported here: the inventory package (every parser) is only needed by scans that
    # read manifests, and a misconfiguration or secrets scan should not pay its import.
    from secloop.scan.inventory.declared import mark_direct

    return mark_direct(collected.packages, collected.declarations)


def _admit_claimed(artifact: Artifact, analyzers: Sequence[Analyzer]) -> None:
    """Let the artifact walk and read the files analyzers claim past its size limit."""
    claiming = [a for a in analyzers if a.max_bytes]
    if not claiming:
        return

    def limit_for(path: str) -> int | None:
        limits = [a.max_bytes for a in claiming if a.max_bytes and a.claims(path)]
        return max(limits, default=None)

    artifact.admit_claimed(limit_for)


def _process_file(
    artifact: Artifact,
    entry: FileEntry,
    analyzers: Sequence[Analyzer],
    scanners: Sequence[Scanner],
    collected: _Collector,
) -> None:
    wanted: list[Plugin] = [a for a in analyzers if a.applies_to(entry)]
    wanted += [s for s in scanners if s.applies_to(entry)]
    if not wanted:
        collected.files_without_scanner += 1
        return
    try:
        content = FileContent(entry=entry, data=artifact.read(entry))
    except Error as err:
        collected.coverage.append(Failed(path=entry.path, reason=str(err), by="reader"))
        return
    if content.is_binary:
        text_only = [p for p in wanted if p.text_only]
        wanted = [p for p in wanted if not p.text_only]
        if not wanted:
            names = ", ".join(p.name for p in text_only)
            collected.coverage.append(
                Skipped(
                    path=entry.path,
                    reason=SkipReason.BINARY,
                    detail=f"binary content; wanted as text by {names}",
                )
            )
            return
    succeeded = [p.name for p in wanted if _run_plugin(p, content, collected)]
    if succeeded:
        collected.coverage.append(Scanned(path=entry.path, by=tuple(succeeded)))


def _run_plugin(plugin: Plugin, content: FileContent, collected: _Collector) -> bool:
    path = content.entry.path
    try:
        if isinstance(plugin, Analyzer):
            output = plugin.analyze(content)
            collected.packages.extend(_placed_in_layer(output.packages, content.entry))
            collected.declarations.extend(output.declarations)
            if output.operating_system is not None:
                collected.operating_system = output.operating_system
            for problem in output.problems:
                collected.coverage.append(Failed(path=path, reason=problem, by=plugin.name))
        else:
            findings: list[Finding] = []
            for item in plugin.scan_file(content):
                if isinstance(item, PartialFailure):
                    collected.coverage.append(Failed(path=path, reason=item.reason, by=plugin.name))
                elif isinstance(item, Observation):
                    collected.observations.append(item)
                else:
                    findings.append(item)
            collected.findings.extend(_apply_inline(content, findings, collected.warnings))
    except Error as err:
        collected.coverage.append(Failed(path=path, reason=str(err), by=plugin.name))
        return False
    except Exception as err:
        logger.debug("internal error in %s on %s", plugin.name, path, exc_info=True)
        collected.coverage.append(
            Failed(path=path, reason=f"internal error: {type(err).__name__}: {err}", by=plugin.name)
        )
        return False
    return True


def _placed_in_layer(packages: Sequence[Package], entry: FileEntry) -> list[Package]:
    """Give each package found in ``entry`` the entry's image layer, so that analyzers
    need not know whether they read a directory or an image."""
    layer = entry.layer
    if layer is None:
        return list(packages)
    return [
        replace(
            package,
            locations=tuple(
                replace(loc, layer=layer) if loc.layer is None and loc.path == entry.path else loc
                for loc in package.locations
            ),
        )
        for package in packages
    ]


def _apply_inline(
    content: FileContent, findings: list[Finding], warnings: list[str]
) -> Iterable[Finding]:
    if not findings or content.is_binary:
        return findings
    try:
        if INLINE_MARKER not in content.text:  # most files: no line to look at
            return findings
        lines = content.lines
    except Error:
        return findings
    marked: list[Finding] = []
    for finding in findings:
        outcome = find_inline_suppression(lines, finding)
        if outcome.warning:
            warnings.append(outcome.warning)
        suppression = outcome.suppression
        marked.append(finding if suppression is None else replace(finding, suppression=suppression))
    return marked


def _run_inventory_scan(
    scanner: Scanner, inventory: Inventory, collected: _Collector
) -> list[Finding]:
    try:
        return list(scanner.scan_inventory(inventory))
    except Error as err:
        collected.coverage.append(Failed(path="(inventory)", reason=str(err), by=scanner.name))
    return []


def _run_artifact_scan(
    scanner: Scanner, artifact: Artifact, inventory: Inventory, collected: _Collector
) -> list[Finding]:
    findings: list[Finding] = []
    try:
        for item in scanner.scan_artifact(artifact, inventory):
            if isinstance(item, PartialFailure):
                collected.coverage.append(
                    Failed(path="(artifact)", reason=item.reason, by=scanner.name)
                )
            elif isinstance(item, Observation):
                collected.observations.append(item)
            else:
                findings.append(item)
    except Error as err:
        collected.coverage.append(Failed(path="(artifact)", reason=str(err), by=scanner.name))
    return findings


def _run_observation_scan(scanner: Scanner, collected: _Collector) -> list[Finding]:
    findings: list[Finding] = []
    try:
        for item in scanner.scan_observations(collected.observations):
            if isinstance(item, PartialFailure):
                collected.coverage.append(
                    Failed(path="(scan)", reason=item.reason, by=scanner.name)
                )
            else:
                findings.append(item)
    except Error as err:
        collected.coverage.append(Failed(path="(scan)", reason=str(err), by=scanner.name))
    return findings


def _run_conclude(scanner: Scanner, collected: _Collector) -> Sequence[WorkloadExposure]:
    try:
        return scanner.conclude(collected.observations)
    except Error as err:
        collected.coverage.append(Failed(path="(scan)", reason=str(err), by=scanner.name))
    return ()


def _rules_catalogue(scanners: Sequence[Scanner], findings: Sequence[Finding]) -> dict[str, Rule]:
    fired = {f.rule_id for f in findings}
    catalogue: dict[str, Rule] = {}
    for scanner in scanners:
        for rule in scanner.rules():
            if rule.id in fired:
                catalogue.setdefault(rule.id, rule)
    return dict(sorted(catalogue.items()))
