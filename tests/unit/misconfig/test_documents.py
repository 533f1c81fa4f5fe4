"""Line maps, multi-document streams, List kinds, anchors, JSON and malformed input."""

from __future__ import annotations

import re

import pytest

from secloop.core.finding import Finding
from secloop.scan.interface import PartialFailure, ScanError
from secloop.scan.misconfig import KubernetesScanner
from secloop.scan.misconfig.documents import parse_json, parse_yaml
from tests.unit.misconfig.helpers import content, scan_k8s

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        privileged: true
"""


def test_positions_of_keys_and_items() -> None:
    document = parse_yaml(POD).documents[0]
    assert document.line_of(("spec", "containers", 0, "securityContext", "privileged")) == 11
    assert document.position_of(("spec", "containers", 0)) == (8, 7)
    # a missing field falls back to its nearest existing parent
    assert document.line_of(("spec", "containers", 0, "resources", "limits")) == 8


def test_privileged_finding_points_at_the_field_with_a_stable_anchor() -> None:
    [finding] = [f for f in scan_k8s(POD) if f.rule_id == "SL-K8S-001"]
    assert finding.location.start_line == 11
    assert finding.location.resource is not None
    assert finding.location.resource.display == "Pod/shop/web"
    assert finding.anchor == "Pod/shop/web:spec.containers[web].securityContext.privileged"


def test_anchor_survives_inserted_lines() -> None:
    shifted = POD.replace("metadata:\n", "metadata:\n  labels:\n    app: web\n")
    before = [f.anchor for f in scan_k8s(POD)]
    after = [f.anchor for f in scan_k8s(shifted)]
    assert before == after


def test_missing_field_reports_nearest_parent_line() -> None:
    [finding] = [f for f in scan_k8s(POD) if f.rule_id == "SL-K8S-028"]
    assert finding.location.start_line == 8  # the container item; it has no resources
    assert finding.anchor.endswith("containers[web].resources.limits.memory")


def test_multi_document_lines_are_absolute() -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n" + POD
    findings = [f for f in scan_k8s(text) if f.rule_id == "SL-K8S-001"]
    assert [f.location.start_line for f in findings] == [16]


def test_list_kind_items_are_resources() -> None:
    items = "\n".join("  " + line if line else line for line in POD.splitlines())
    text = "apiVersion: v1\nkind: List\nitems:\n- " + items.lstrip() + "\n"
    [finding] = [f for f in scan_k8s(text) if f.rule_id == "SL-K8S-001"]
    assert finding.location.start_line == 14
    assert finding.anchor == "Pod/shop/web:spec.containers[web].securityContext.privileged"


def test_anchors_and_merge_keys_resolve() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - &base
      name: a
      image: nginx:1.27
      securityContext: {privileged: true}
    - <<: *base
      name: b
"""
    names = sorted(f.message for f in scan_k8s(text) if f.rule_id == "SL-K8S-001")
    assert names == [
        "Pod/shop/web: container 'a' is privileged",
        "Pod/shop/web: container 'b' is privileged",
    ]


def test_json_manifest_has_lines() -> None:
    text = (
        '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "web"},\n'
        '  "spec": {\n    "hostNetwork": true,\n    "containers": []\n  }\n}\n'
    )
    assert parse_json(text).documents[0].line_of(("spec", "hostNetwork")) == 6
    [finding] = [f for f in scan_k8s(text, "pod.json") if f.rule_id == "SL-K8S-021"]
    assert finding.location.start_line == 6


def test_json_that_is_not_a_manifest_is_ignored() -> None:
    assert scan_k8s('{"name": "left-pad", "version": "1.0.0"}', "package.json") == []


def test_non_kubernetes_yaml_is_ignored() -> None:
    assert scan_k8s("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n") == []
    assert scan_k8s("kind: thing\nspec: {}\n") == []


def test_malformed_yaml_is_a_scan_error_naming_file_and_line() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n"
    with pytest.raises(ScanError, match=r"manifests/app\.yaml: document 1 \(line \d+\)"):
        scan_k8s(text)


def test_bad_document_does_not_hide_the_others() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad\n---\n" + POD
    outcomes = list(KubernetesScanner().scan_file(content("manifests/app.yaml", text)))
    assert any(isinstance(f, Finding) and f.rule_id == "SL-K8S-001" for f in outcomes)
    [error] = [f for f in outcomes if isinstance(f, PartialFailure)]
    assert re.match(r"manifests/app\.yaml: document 1 \(line [1-4]\): invalid YAML", error.reason)


def test_alias_bomb_is_bounded() -> None:
    lines = ["apiVersion: v1", "kind: ConfigMap", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ScanError, match="nodes"):
        scan_k8s("\n".join(lines) + "\n")


def test_deep_nesting_is_bounded() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 200 + "]" * 200 + "\n"
    with pytest.raises(ScanError, match="nested"):
        scan_k8s(text)


def test_remembered_scalar_tags_give_the_values_of_the_stock_loader() -> None:
    """Plain scalars' tags are remembered per text: parsing the same values twice (the
    second time from the memory) must give what PyYAML's own safe loader gives, and
    quoted scalars stay strings."""
    import yaml

    text = (
        "a: yes\nb: '1'\nc: 1\nd: 1.5\ne: ~\nf: 2001-12-14\ng: 0o17\nh: on\ni: 0x1F\n"
        'j: "true"\nk: .inf\nl: plain\nm: ""\nn:\no: 1_000\np: ' + "9" * 80 + "\n"
    )
    expected = yaml.safe_load(text)
    for _ in range(2):
        (document,) = parse_yaml(text).documents
        assert document.value == expected
