"""Run the Kubernetes checks over parsed documents and turn their hits into findings."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import cast

from secloop.core.finding import Finding, FindingKind
from secloop.core.fingerprint import fingerprint_digest, number_occurrences
from secloop.core.location import KubernetesResource, Location
from secloop.scan.interface import PartialFailure
from secloop.scan.misconfig.documents import DocumentError, ParsedStream
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.base import (
    Hit,
    KubernetesCheck,
    ResourceCheck,
    StreamCheck,
    WorkloadCheck,
)
from secloop.scan.misconfig.kubernetes.model import (
    Resource,
    Workload,
    render_path,
    resources_of,
    workload_of,
)
from secloop.scan.misconfig.kubernetes.scan_wide import ScanWideCheck, scan_wide_kinds

__all__ = ["describe_error", "evaluate_stream", "finding_of"]

SCANNER_NAME = "kubernetes"


def describe_error(path: str, error: DocumentError) -> str:
    """``path: document N (line L): reason`` for the coverage manifest."""
    return f"{path}: document {error.index + 1} (line {error.line}): invalid YAML: {error.reason}"


def _container_image(workload: Workload | None, hit: Hit) -> str | None:
    """The image of the container a hit is in (its field path under the container's)."""
    if workload is None:
        return None
    for container in workload.containers:
        if hit.path[: len(container.path)] == container.path:
            image = container.spec.get("image")
            return image.strip() or None if isinstance(image, str) else None
    return None


#: A hit and what its finding needs: check, resource, hit, workload, (line, column),
#: anchor, the resource's reference and its display form.
_Placed = tuple[
    KubernetesCheck,
    Resource,
    Hit,
    "Workload | None",
    tuple[int, int],
    str,
    KubernetesResource,
    str,
]


def _placed(
    check: KubernetesCheck,
    resource: Resource,
    hit: Hit,
    workload: Workload | None,
    ref: KubernetesResource | None = None,
) -> _Placed:
    """``ref``: the resource's reference, shared by the findings of one resource."""
    ref = resource.ref if ref is None else ref
    display = ref.display
    position = resource.document.position_of(hit.path)
    anchor = f"{display}:{render_path(resource.obj, hit.path[len(resource.prefix) :])}"
    return (check, resource, hit, workload, position, anchor, ref, display)


def _finding(placed: _Placed, path: str, fingerprint: str = "") -> Finding:
    check, _, hit, workload, (line, column), anchor, ref, display = placed
    rule = check.rule
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule.id,
        severity=hit.severity or rule.severity,
        title=rule.title,
        message=f"{display}: {hit.message}",
        location=Location(path=path, start_line=line, start_column=column, resource=ref),
        scanner=SCANNER_NAME,
        anchor=anchor,
        evidence=hit.evidence,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=rule.frameworks,
        image=_container_image(workload, hit),
        fingerprint=fingerprint,
    )


@lru_cache(maxsize=4096)
def _applicable(
    checks: tuple[KubernetesCheck, ...], kind: str, synthetic: bool | None
) -> tuple[KubernetesCheck, ...]:
    """The checks whose ``evaluate`` can find anything on a resource of ``kind`` (with
    no pod spec, a synthetic one or a real one): the others would return at once, but
    sixty calls per resource add up over thousands of resources."""
    return tuple(check for check in checks if _may_apply(check, kind, synthetic))


def _may_apply(check: KubernetesCheck, kind: str, synthetic: bool | None) -> bool:
    evaluate = type(check).evaluate
    if evaluate is ResourceCheck.evaluate:
        return kind in cast(ResourceCheck, check).kinds
    if evaluate is WorkloadCheck.evaluate:
        workload_check = cast(WorkloadCheck, check)
        return synthetic is False or (synthetic is True and workload_check.applies_to_functions)
    return evaluate is not StreamCheck.evaluate


@lru_cache(maxsize=64)
def _stream_checks(
    checks: tuple[KubernetesCheck, ...], *, with_scan_wide: bool
) -> tuple[StreamCheck, ...]:
    """The cross-document checks among ``checks`` (the scan-wide ones only when the
    stream is judged alone), sorted out once per set of checks rather than per file."""
    return tuple(
        check
        for check in checks
        if isinstance(check, StreamCheck)
        and (with_scan_wide or not isinstance(check, ScanWideCheck))
    )


def finding_of(check: KubernetesCheck, resource: Resource, hit: Hit, path: str) -> Finding:
    """The finding of a cross-document check's hit (no container, so no image)."""
    return _finding(_placed(check, resource, hit, None), path)


def evaluate_stream(
    stream: ParsedStream,
    path: str,
    checks: Sequence[KubernetesCheck] = KUBERNETES_CHECKS,
    *,
    fingerprints: bool = False,
    scan_wide: list[tuple[Resource, Workload | None]] | None = None,
    viewed: list[tuple[Resource, Workload | None]] | None = None,
) -> list[Finding | PartialFailure]:
    """Findings of every check on every resource, and a partial failure per bad document.

    With ``fingerprints`` each finding is built with its fingerprint (the subject is
    ``path``, so every finding of a base is in this stream) instead of being copied
    once more by the engine's numbering: a large scan has tens of thousands.
    With a ``scan_wide`` list, the scan-wide checks are left out here and the
    resources they read are appended to it (:mod:`.scan_wide`); without one they are
    judged on this stream alone. A ``viewed`` list receives every resource with its
    pod-spec view (the exposure walk reads them too).
    """
    placed: list[_Placed] = []
    viewed = [] if viewed is None else viewed
    wide_kinds = scan_wide_kinds(checks) if scan_wide is not None else frozenset()
    every = tuple(checks)
    for document in stream.documents:
        for resource in resources_of(document):
            workload = workload_of(resource)
            viewed.append((resource, workload))
            if resource.kind in wide_kinds and scan_wide is not None:
                scan_wide.append((resource, workload))
            state = None if workload is None else workload.synthetic
            ref = resource.ref
            for check in _applicable(every, resource.kind, state):
                for hit in check.evaluate(resource, workload):
                    placed.append(_placed(check, resource, hit, workload, ref))
    for check in _stream_checks(every, with_scan_wide=scan_wide is None):
        for resource, hit in check.check_all(viewed):
            placed.append(_placed(check, resource, hit, None))
    numbered = _fingerprints(placed, path) if fingerprints else [""] * len(placed)
    outcomes: list[Finding | PartialFailure] = [
        _finding(item, path, fingerprint)
        for item, fingerprint in zip(placed, numbered, strict=True)
    ]
    outcomes.extend(PartialFailure(describe_error(path, error)) for error in stream.errors)
    return outcomes


def _fingerprints(placed: Sequence[_Placed], path: str) -> list[str]:
    """The fingerprints :func:`secloop.core.fingerprint.assign_fingerprints` would give."""
    kind = FindingKind.MISCONFIGURATION.value
    return number_occurrences(
        [(fingerprint_digest(kind, item[0].rule.id, path, item[5]), item[4]) for item in placed]
    )
