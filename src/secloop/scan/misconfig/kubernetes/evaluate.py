"""Run the Kubernetes checks over parsed documents and turn their hits into findings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.scan.interface import PartialFailure
from secloop.scan.misconfig.documents import DocumentError, ParsedStream
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.base import Hit, KubernetesCheck, StreamCheck
from secloop.scan.misconfig.kubernetes.model import (
    Resource,
    Workload,
    render_path,
    resources_of,
    workload_of,
)

__all__ = ["describe_error", "evaluate_stream"]

SCANNER_NAME = "kubernetes"


def describe_error(path: str, error: DocumentError) -> str:
    """``path: document N (line L): reason`` for the coverage manifest."""
    return f"{path}: document {error.index + 1} (line {error.line}): invalid YAML: {error.reason}"


def _finding(check: KubernetesCheck, resource: Resource, hit: Hit, path: str) -> Finding:
    rule = check.rule
    line, column = resource.document.position_of(hit.path)
    ref = resource.ref
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule.id,
        severity=hit.severity or rule.severity,
        title=rule.title,
        message=f"{ref.display}: {hit.message}",
        location=Location(path=path, start_line=line, start_column=column, resource=ref),
        scanner=SCANNER_NAME,
        anchor=f"{ref.display}:{render_path(resource.obj, hit.path[len(resource.prefix) :])}",
        evidence=hit.evidence,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=rule.frameworks,
    )


def evaluate_resource(
    resource: Resource,
    path: str,
    checks: Sequence[KubernetesCheck] = KUBERNETES_CHECKS,
    workload: Workload | None = None,
) -> Iterator[Finding]:
    if workload is None:
        workload = workload_of(resource)
    for check in checks:
        for hit in check.evaluate(resource, workload):
            yield _finding(check, resource, hit, path)


def evaluate_stream(
    stream: ParsedStream, path: str, checks: Sequence[KubernetesCheck] = KUBERNETES_CHECKS
) -> list[Finding | PartialFailure]:
    """Findings of every check on every resource, and a partial failure per bad document."""
    outcomes: list[Finding | PartialFailure] = []
    viewed: list[tuple[Resource, Workload | None]] = []
    for document in stream.documents:
        for resource in resources_of(document):
            workload = workload_of(resource)
            viewed.append((resource, workload))
            outcomes.extend(evaluate_resource(resource, path, checks, workload))
    for check in checks:
        if isinstance(check, StreamCheck):
            for resource, hit in check.check_all(viewed):
                outcomes.append(_finding(check, resource, hit, path))
    outcomes.extend(PartialFailure(describe_error(path, error)) for error in stream.errors)
    return outcomes
