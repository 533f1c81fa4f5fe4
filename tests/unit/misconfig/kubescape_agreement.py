"""Per-resource agreement with Kubescape's regolibrary test cases (shared by test and bench).

Each test case (``rules/<rule>/test/<case>/``, see the corpus SOURCE.md) is a set of
objects evaluated together and the list of alerts Kubescape expects. An object is
*failed* by Kubescape when an alert names it (``k8sApiObjects``, or the
``relatedObjects`` of an RBAC subject). For every Kubescape rule used by a control
that a secloop check maps to (``peers["kubescape"]``), each object of the case that
the rule matches and one of those secloop checks applies to is one comparison:
secloop failed it (any of the checks fired on it) or not.

A Kubescape rule belongs to every control listing it (``rule-can-impersonate-users-
groups-v1`` serves C-0065 and C-0191), so it is judged with the secloop checks of all
those controls. Cases whose ``data.json`` changes Kubescape's configuration are
compared too (secloop runs with its defaults); a disagreement there is explained like
any other.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secloop.scan.misconfig.documents import parse_stream
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.base import (
    KubernetesCheck,
    ResourceCheck,
    StreamCheck,
    WorkloadCheck,
)
from secloop.scan.misconfig.kubernetes.model import Resource, Workload, resources_of, workload_of

__all__ = ["KUBESCAPE_EXCEPTIONS", "ControlAgreement", "kubescape_agreements"]

_RBAC_MATCH = (
    "Kubernetes RBAC matches a resource only by name, `*` or `*/<subresource>` "
    "(ResourceMatches in k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go): "
)
#: (Kubescape rule, case, ``Kind/name``) -> why secloop's verdict is the right one.
KUBESCAPE_EXCEPTIONS: Mapping[tuple[str, str, str], str] = {
    ("exec-into-container-v1", "clusterrole", "ClusterRole/secret-reader"): _RBAC_MATCH
    + "`pods/*` does not grant `pods/exec`, so the role cannot exec.",
    **{
        ("rule-can-approve-cert-signing-request", case, f"{kind}/test"): "approving a CSR "
        "needs `update` on `certificatesigningrequests/approval` *and* `approve` on the "
        "signer (`signers`); the role has only the first, so it cannot approve."
        for case, kind in (("clusterrole-rolebinding", "ClusterRole"), ("role-rolebinding", "Role"))
    },
    **{
        ("rule-credentials-in-env-var", case, obj): "the only match is a *value* that "
        "contains a sensitive key word (`my_key_value`, `JWT`): a word, not a credential."
        for case, obj in (
            ("pod", "Pod/audit-pod"),
            ("deployment", "Deployment/test2"),
            ("workloads", "Deployment/test2"),
        )
    },
    **{
        ("rule-credentials-in-env-var", case, obj): "`envFrom.secretRef` is a reference to "
        "a Secret, not a credential written in the manifest (SL-K8S-035); exposing a "
        "Secret as environment variables is SL-K8S-036, mapped to C-0207."
        for case, obj in (
            ("pod-envfrom-secretref", "Pod/envfrom-secret-pod"),
            ("pod-initcontainer-envfrom-secretref", "Pod/initcontainer-secret-pod"),
            ("cronjob-envfrom-secretref", "CronJob/envfrom-secret-cronjob"),
            ("cronjob-initcontainer-envfrom-secretref", "CronJob/initcontainer-secret-cronjob"),
            ("workloads-envfrom-secretref", "Deployment/envfrom-secret-deploy"),
            ("workloads-initcontainer-envfrom-secretref", "Deployment/initcontainer-secret-deploy"),
        )
    },
    ("rule-credentials-configmap", "test", "ConfigMap/game-demo"): "the values are "
    "`XXXX` (a placeholder) and `hi` (two characters): no credential is stored.",
    **{
        ("internal-networking", case, "Namespace/test"): "C-0054 passes a namespace with "
        "*any* network policy; SL-K8S-060 asks for a default-deny policy (issue 3), and "
        "a policy selecting only some pods leaves the others open to every pod."
        for case in (
            "namespace-passed",
            "namespace-cnp-passed",
            "namespace-ccnp-passed",
            "namespace-ccnp-specs-passed",
        )
    },
    ("image-not-pinned-to-digest", "pod-exempted-repo", "Pod/pod-exempted-repo"): "the case "
    "exempts `internal-registry` through Kubescape's `imageDigestExemptRepositories` "
    "setting; secloop has no digest exemption list (an inline suppression does that).",
    ("namespace-without-service-account", "test", "ServiceAccount/default"): "a different "
    "check under the same control (does a namespace have a service account); SL-K8S-051 "
    "reports the default service account automounting its token, which this one does.",
}


@dataclass(slots=True)
class ControlAgreement:
    """Agreement on one Kubescape control, through the secloop checks mapped to it."""

    control: str
    rule_ids: tuple[str, ...]
    kubescape_rules: tuple[str, ...] = ()
    agreed: int = 0
    total: int = 0
    #: Cases run with a non-default Kubescape configuration (``data.json``).
    configured_cases: list[str] = field(default_factory=list)
    #: (rule, case, ``Kind/name``, Kubescape failed it) for every disagreement.
    disagreements: list[tuple[str, str, str, bool]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.agreed / self.total if self.total else 1.0

    @property
    def unexplained(self) -> list[tuple[str, str, str, bool]]:
        return [d for d in self.disagreements if d[:3] not in KUBESCAPE_EXCEPTIONS]

    @property
    def held_ratio(self) -> float:
        """Agreement once each explained disagreement counts as secloop being right."""
        return (self.total - len(self.unexplained)) / self.total if self.total else 1.0


def _controls(corpus: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((corpus / "controls").glob("*.json")):
        control = json.loads(path.read_text(encoding="utf-8"))
        found[control["controlID"]] = list(control.get("rulesNames", ()))
    return found


def _matched_kinds(corpus: Path, rule: str) -> frozenset[str]:
    metadata = json.loads((corpus / "rules" / rule / "rule.metadata.json").read_text())
    return frozenset(kind for block in metadata.get("match", ()) for kind in block["resources"])


def _alert_objects(alert: Mapping[str, Any]) -> Iterator[str]:
    target = alert.get("alertObject") or {}
    related = (target.get("externalObjects") or {}).get("relatedObjects") or ()
    for obj in (*(target.get("k8sApiObjects") or ()), *related):
        yield f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"


def _inputs(case: Path) -> list[Path]:
    folder = case / "input"
    if folder.is_dir():
        return sorted(p for p in folder.iterdir() if p.is_file())
    return sorted(case.glob("input.*"))


def _viewed(case: Path) -> list[tuple[Resource, Workload | None]]:
    viewed: list[tuple[Resource, Workload | None]] = []
    for path in _inputs(case):
        text = path.read_text(encoding="utf-8")
        for document in parse_stream(text, json_syntax=path.suffix == ".json").documents:
            viewed.extend((r, workload_of(r)) for r in resources_of(document))
    return viewed


def applies(check: KubernetesCheck, resource: Resource, workload: Workload | None) -> bool:
    """Whether ``check`` judges ``resource`` at all (else it is not a comparison)."""
    if isinstance(check, ResourceCheck):
        return resource.kind in check.kinds
    if isinstance(check, WorkloadCheck):
        return workload is not None
    kinds = getattr(check, "kinds", None)
    return kinds is None or resource.kind in kinds


def failed_by(
    checks: Sequence[KubernetesCheck], viewed: Sequence[tuple[Resource, Workload | None]]
) -> set[int]:
    """``id()`` of every resource one of ``checks`` fires on (stream checks included)."""
    failed = {
        id(resource)
        for resource, workload in viewed
        for check in checks
        if any(True for _ in check.evaluate(resource, workload))
    }
    for check in checks:
        if isinstance(check, StreamCheck):
            failed.update(id(resource) for resource, _ in check.check_all(viewed))
    return failed


def _compare_case(
    result: ControlAgreement, rule: str, case: Path, checks: Sequence[KubernetesCheck]
) -> None:
    """Compare per ``Kind/name``; alerts carry no namespace, so same-named objects count.

    When a case holds two ``Deployment/test`` (one in ``default``, one elsewhere) and
    one alert names it, one of the two is expected failed, whichever it is.
    """
    kinds = _matched_kinds(case.parents[3], rule)
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8")) or []
    alerts = Counter(name for alert in expected for name in set(_alert_objects(alert)))
    viewed = _viewed(case)
    ours = failed_by(checks, viewed)
    judged: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for resource, workload in viewed:
        if resource.kind in kinds and any(applies(c, resource, workload) for c in checks):
            name = f"{resource.kind}/{resource.name}"
            judged[name] += 1
            failed[name] += id(resource) in ours
    for name, count in judged.items():
        expected_failed = min(alerts[name], count)
        wrong = abs(expected_failed - failed[name])
        result.total += count
        result.agreed += count - wrong
        result.disagreements.extend(
            [(rule, case.name, name, expected_failed > failed[name])] * wrong
        )


def kubescape_agreements(corpus: Path) -> list[ControlAgreement]:
    """One result per Kubescape control that a secloop check maps to, by control ID."""
    controls = _controls(corpus)
    by_control: dict[str, list[KubernetesCheck]] = defaultdict(list)
    for check in KUBERNETES_CHECKS:
        if "kubescape" in check.rule.peers:
            by_control[check.rule.peers["kubescape"]].append(check)
    checks_of_rule: dict[str, list[KubernetesCheck]] = defaultdict(list)
    for control, checks in by_control.items():
        for rule in controls.get(control, ()):
            checks_of_rule[rule].extend(c for c in checks if c not in checks_of_rule[rule])
    results: list[ControlAgreement] = []
    for control, checks in sorted(by_control.items()):
        result = ControlAgreement(control, tuple(c.rule.id for c in checks))
        for rule in controls.get(control, ()):
            tests = corpus / "rules" / rule / "test"
            if not tests.is_dir():
                continue
            result.kubescape_rules += (rule,)
            for case in sorted(p for p in tests.iterdir() if p.is_dir()):
                if (case / "data.json").exists():
                    result.configured_cases.append(f"{rule}/{case.name}")
                _compare_case(result, rule, case, checks_of_rule[rule])
        results.append(result)
    return results
