"""Per-resource agreement with checkov's Kubernetes unit-test corpus (shared by test and bench).

checks/expected.json (see its SOURCE.md) gives, per checkov check and example folder,
either the exact passed/failed resource ids (``Kind.namespace.name``) or only counts.
Exact records are compared resource by resource; count-only records can only be
compared by their failed count, which is reported separately and is weaker evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from secloop.scan.misconfig.documents import parse_stream
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.base import KubernetesCheck, ResourceCheck, WorkloadCheck
from secloop.scan.misconfig.kubernetes.model import Resource, resources_of, workload_of

#: Checkov records whose folder uses an environment tweak we do not model.
_SKIPPED_NOTES = ("HELM_NAMESPACE",)
#: Folders that test checkov's own skip annotations (secloop suppresses by inline comment).
_SKIPPED_FOLDERS = ("example_Suppressed",)


#: (checkov check, disagreement as :class:`Agreement` words it) -> why secloop is right.
#: The counts are part of the key: a record whose counts move is unexplained again.
CHECKOV_EXCEPTIONS: Mapping[tuple[str, str], str] = {
    (
        "CKV_K8S_43",
        "example_ImageDigest: checkov failed 2/5, secloop failed 5/5",
    ): "the three 'pinned' images end in `@sha256:123456`, which is no digest (a sha256 "
    "digest is 64 hex digits): the reference cannot be pulled, so nothing is pinned. "
    "Kubescape's C-0306 cases (`pod-sha256-short`) expect the same as secloop.",
    (
        "CKV_K8S_157",
        "ClusterRole.test.test-should-fail-1: checkov failed=True",
    ): "the role grants `bind` on `rolebindings`; the bind verb is only checked on roles "
    "and clusterroles (RBAC escalation prevention), so it grants nothing there.",
    (
        "CKV_K8S_23",
        "example_RootContainers: checkov failed 7/12, secloop failed 6/12",
    ): "the seventh is `rootContainersFAILED-malformed-spec.yaml`, whose `spec` is a list: "
    "the API server rejects it, so there is no container to judge and secloop does not "
    "guess (the file is still reported as scanned).",
}


@dataclass(slots=True)
class Agreement:
    check_id: str
    rule_id: str
    exact: bool
    agreed: int = 0
    total: int = 0
    disagreements: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.agreed / self.total if self.total else 1.0

    @property
    def unexplained(self) -> list[str]:
        return [d for d in self.disagreements if (self.check_id, d) not in CHECKOV_EXCEPTIONS]

    @property
    def explained_missing(self) -> int:
        """Resources the explained disagreements account for (count records: the gap)."""
        return self.total - self.agreed - self.unexplained_missing

    @property
    def unexplained_missing(self) -> int:
        if not self.unexplained:
            return 0
        return self.total - self.agreed if not self.exact else len(self.unexplained)

    @property
    def held_ratio(self) -> float:
        """Agreement once each explained disagreement counts as secloop being right."""
        return (self.total - self.unexplained_missing) / self.total if self.total else 1.0


def _resources(folder: Path) -> Iterator[tuple[str, Resource]]:
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in {".yaml", ".yml", ".json"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        stream = parse_stream(text, json_syntax=path.suffix.lower() == ".json")
        for document in stream.documents:
            for resource in resources_of(document):
                yield path.name, resource


def _applicable(check: KubernetesCheck, resource: Resource) -> bool:
    if isinstance(check, ResourceCheck):
        return resource.kind in check.kinds
    if isinstance(check, WorkloadCheck):
        return workload_of(resource) is not None
    return True


def _resource_id(resource: Resource) -> str:
    return f"{resource.kind}.{resource.namespace or 'default'}.{resource.name}"


def verdicts(check: KubernetesCheck, folder: Path) -> list[tuple[str, str, bool]]:
    """(file, resource id, failed) for every resource the check applies to, in order.

    One entry per resource, not per id: checkov counts a file holding three
    ``Pod.default.pod4`` as three resources.
    """
    return [
        (file_name, _resource_id(resource), any(True for _ in check.evaluate(resource, workload)))
        for file_name, resource in _resources(folder)
        if _applicable(check, resource)
        for workload in (workload_of(resource),)
    ]


def agreements(corpus: Path) -> list[Agreement]:
    by_peer = {
        c.rule.peers.get("checkov"): c for c in KUBERNETES_CHECKS if "checkov" in c.rule.peers
    }
    results: list[Agreement] = []
    for record in json.loads((corpus / "checks" / "expected.json").read_text()):
        check = by_peer.get(record["check_id"])
        skipped = record["example_dir"] in _SKIPPED_FOLDERS or any(
            n in record.get("note", "") for n in _SKIPPED_NOTES
        )
        if check is None or skipped:
            continue
        ours = verdicts(check, corpus / "checks" / record["example_dir"])
        results.append(_compare(record, check, ours))
    return results


def _compare(
    record: dict[str, object], check: KubernetesCheck, ours: list[tuple[str, str, bool]]
) -> Agreement:
    failed = record.get("expected_failed_resources")
    passed = record.get("expected_passed_resources")
    result = Agreement(str(record["check_id"]), check.rule.id, exact=isinstance(failed, list))
    if isinstance(failed, list) and isinstance(passed, list):
        by_id: dict[str, bool] = {}
        for _, resource_id, verdict in ours:
            by_id[resource_id] = by_id.get(resource_id, False) or verdict
        for resource_id, expect_failed in [(r, True) for r in failed] + [
            (r, False) for r in passed
        ]:
            result.total += 1
            if by_id.get(resource_id, False) == expect_failed:
                result.agreed += 1
            else:
                result.disagreements.append(f"{resource_id}: checkov failed={expect_failed}")
        return result
    summary = record["summary"]
    assert isinstance(summary, dict)
    expected_failed = int(summary["failed"])
    total = int(summary["passed"]) + expected_failed
    our_failed = sum(verdict for _, _, verdict in ours)
    result.total = total
    result.agreed = max(0, total - abs(our_failed - expected_failed))
    if our_failed != expected_failed:
        result.disagreements.append(
            f"{record['example_dir']}: checkov failed {expected_failed}/{total}, "
            f"secloop failed {our_failed}/{len(ours)}"
        )
    return result
