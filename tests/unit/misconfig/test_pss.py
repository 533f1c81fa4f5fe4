"""The Pod Security Standards evaluator against Pod Security Admission's own fixtures.

Measured at the time of writing (printed with ``-s``): 4,537/4,537 fixtures agree
(100 %) across every level and policy version v1.0..v1.37, including the check ID of
each fail fixture; v1.37 alone 148/148.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from secloop.scan.misconfig.documents import parse_yaml
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.model import Workload, resources_of, workload_of
from secloop.scan.misconfig.kubernetes.pss import (
    LATEST_MINOR,
    PSS_CONTROLS,
    PssLevel,
    PssVersion,
    PssVersionError,
    evaluate_pss,
    highest_level,
)
from tests.conftest import corpus_path

#: Agreement floors, measured (1.0 each): a regression in any control fails the test.
MIN_ALL_VERSIONS = 1.0
MIN_LATEST = 1.0


def _workload(text: str) -> Workload:
    resource = next(resources_of(parse_yaml(text).documents[0]))
    workload = workload_of(resource)
    assert workload is not None
    return workload


def _agrees(root: Path, relative: str, expected: dict[str, object]) -> bool:
    workload = _workload((root / relative).read_text(encoding="utf-8"))
    violations = evaluate_pss(workload, PssLevel(str(expected["level"])), str(expected["version"]))
    if expected["expect"] == "pass":
        return not violations
    return any(v.check == expected["check"] for v in violations)


def test_pod_security_admission_fixtures() -> None:
    root = corpus_path("pod-security-admission")
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    agreed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: list[str] = []
    for relative, record in expected.items():
        total[record["version"]] += 1
        if _agrees(root, relative, record):
            agreed[record["version"]] += 1
        else:
            missed.append(relative)
    overall = sum(agreed.values()) / sum(total.values())
    latest = f"v1.{LATEST_MINOR}"
    print(f"PSS agreement: {sum(agreed.values())}/{sum(total.values())} = {overall:.2%}")
    print(f"PSS agreement {latest}: {agreed[latest]}/{total[latest]}")
    assert overall >= MIN_ALL_VERSIONS, missed[:20]
    assert agreed[latest] / total[latest] >= MIN_LATEST, missed[:20]


POD = """apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: c
      image: registry.example.com/c:1
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
"""


def test_restricted_pod_is_restricted_and_violations_name_the_control() -> None:
    workload = _workload(POD)
    assert highest_level(workload) is PssLevel.RESTRICTED
    broken = _workload(POD.replace("drop: [ALL]", "drop: [ALL], add: [SYS_ADMIN]"))
    assert highest_level(broken) is PssLevel.PRIVILEGED
    checks = {v.check for v in evaluate_pss(broken, PssLevel.RESTRICTED)}
    assert checks == {"capabilities_baseline", "capabilities_restricted"}
    path = evaluate_pss(broken, PssLevel.BASELINE)[0].path
    assert path == ("spec", "containers", 0, "securityContext", "capabilities", "add", 0)


def test_version_selects_controls() -> None:
    no_user_caps = _workload(POD.replace("        capabilities: {drop: [ALL]}\n", ""))
    assert evaluate_pss(no_user_caps, PssLevel.RESTRICTED, "v1.21") == ()
    assert evaluate_pss(no_user_caps, PssLevel.RESTRICTED, "v1.22")
    assert evaluate_pss(no_user_caps, PssLevel.PRIVILEGED) == ()


@pytest.mark.parametrize(
    ("text", "minor"),
    [("latest", LATEST_MINOR), ("v1.30", 30), ("1.5", 5), ("v1.99", LATEST_MINOR)],
)
def test_version_parsing(text: str, minor: int) -> None:
    assert PssVersion.parse(text).minor == minor


@pytest.mark.parametrize("text", ["v2.0", "1", "newest", ""])
def test_bad_version_is_rejected(text: str) -> None:
    with pytest.raises(PssVersionError):
        PssVersion.parse(text)


def test_every_level_is_handled() -> None:
    workload = _workload(POD)
    for level in PssLevel:
        assert evaluate_pss(workload, level) == ()


def test_pss_peers_match_the_evaluator() -> None:
    """Every ``pss`` peer names a real control at its lowest level, and every control is covered."""
    known = {control.peer for control in PSS_CONTROLS}
    mapped = {check.rule.peers["pss"] for check in KUBERNETES_CHECKS if "pss" in check.rule.peers}
    assert mapped <= known, mapped - known
    # SL-K8S-017 fires on Unmasked whatever hostUsers says, so it covers both procMount
    # controls; a rule's peers hold one PSS ID, the baseline one (the lowest level).
    covered_by_another_peer = {"restricted:procMount_restricted"}
    assert mapped | covered_by_another_peer == known, known - mapped
