"""Checks judged over every manifest of a scan, plain and rendered alike.

A Namespace is often in one file and its default-deny NetworkPolicy in another, or in
the output of a Kustomize overlay or Helm chart. A :class:`ScanWideCheck` is therefore
not run per file: each file (and each rendered stream) yields a
:class:`ScanWideResources` observation holding only the resources of the kinds such
checks read (Namespaces and NetworkPolicies: few and small, so the scan does not keep
every document), and after the walk the kubernetes scanner judges all of them at once
(:func:`judge`).

Findings keep the place their resource was found: a file's path and line (with the
file's ``secloop:ignore`` markers applied, as the engine does for per-file findings),
or for a rendered resource the overlay's or chart's file, as other rendered findings.
When the kubernetes scanner is not part of the scan (``--scanners render``), the
render scanner judges the rendered streams itself, so nothing depends on which
scanners happen to be selected beyond what they read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from secloop.core.finding import Finding
from secloop.policy.inline import INLINE_MARKER, find_inline_suppression
from secloop.scan.interface import Observation
from secloop.scan.misconfig.kubernetes.base import Hit, KubernetesCheck, StreamCheck
from secloop.scan.misconfig.kubernetes.model import Resource, Workload

__all__ = [
    "INLINE_MARKER",
    "ScanWideCheck",
    "ScanWideJudge",
    "ScanWideResources",
    "apply_markers",
    "judge",
    "scan_wide_kinds",
]

Viewed = tuple[Resource, Workload | None]


class ScanWideCheck(StreamCheck):
    """A cross-document check judged over the whole scan; ``kinds`` are what it reads.

    :func:`secloop.scan.misconfig.kubernetes.evaluate.evaluate_stream` still runs it
    per stream when asked to (one fixture file, the accuracy harness).
    """

    kinds: ClassVar[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True)
class ScanWideResources(Observation):
    """The resources one file or rendered stream holds for the scan-wide checks."""

    path: str
    resources: tuple[Viewed, ...]
    #: The file's lines when it carries an inline marker (a plain file only).
    lines: Sequence[str] | None = None
    #: How a finding on a rendered resource is placed (the overlay's or chart's file).
    finish: Callable[[Finding], Finding] | None = None


@dataclass(frozen=True, slots=True)
class ScanWideJudge(Observation):
    """The kubernetes scanner ran in this scan and judges every stream's resources."""


def scan_wide_kinds(checks: Iterable[KubernetesCheck]) -> frozenset[str]:
    kinds: set[str] = set()
    for check in checks:
        if isinstance(check, ScanWideCheck):
            kinds |= check.kinds
    return frozenset(kinds)


def apply_markers(findings: Iterable[Finding], lines: Sequence[str]) -> Iterator[Finding]:
    """Inline ``secloop:ignore`` markers on findings given after the walk. A marker
    without a reason is not applied, and the finding says so."""
    for finding in findings:
        outcome = find_inline_suppression(lines, finding)
        if outcome.suppression is not None:
            yield replace(finding, suppression=outcome.suppression)
        elif outcome.warning is not None:
            yield replace(finding, message=f"{finding.message} ({outcome.warning})")
        else:
            yield finding


def judge(
    observations: Sequence[Observation],
    checks: Sequence[KubernetesCheck],
    to_finding: Callable[[KubernetesCheck, Resource, Hit, str], Finding],
    *,
    rendered_only: bool = False,
) -> list[Finding]:
    """Every scan-wide check over the resources of every observation, in walk order.

    ``to_finding(check, resource, hit, path)`` builds a finding as the per-file
    evaluator does; ``rendered_only`` judges only rendered streams (the render scanner,
    when no kubernetes scanner judges the plain files).
    """
    streams = [
        o
        for o in observations
        if isinstance(o, ScanWideResources) and (o.finish is not None or not rendered_only)
    ]
    origin = {id(resource): stream for stream in streams for resource, _ in stream.resources}
    viewed = [pair for stream in streams for pair in stream.resources]
    findings: list[Finding] = []
    for check in checks:
        if not isinstance(check, ScanWideCheck):
            continue
        for resource, hit in check.check_all(viewed):
            stream = origin[id(resource)]
            finding = to_finding(check, resource, hit, stream.path)
            if stream.finish is not None:
                finding = stream.finish(finding)
            elif stream.lines is not None:
                finding = next(apply_markers((finding,), stream.lines))
            findings.append(finding)
    return findings
