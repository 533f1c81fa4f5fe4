"""``--pss-level``/``--pss-version``: the ``pss`` scanner end to end.

Measured against Pod Security Admission's own fixtures through the real pipeline
(filesystem opener, engine, ``pss`` scanner): every fixture of every level and policy
version agrees, including the control ID of each fail fixture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from secloop.core.result import Failed, ScanResult
from secloop.core.severity import Severity
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.misconfig.kubernetes.pss import LATEST_MINOR, PSS_CONTROLS, PssLevel, PssVersion
from secloop.scan.misconfig.pss_scan import PSS_RULES, PssScanner, PssSettings, pss_rule_id
from secloop.scan.registry import default_registry
from tests.conftest import corpus_path
from tests.unit.cli.conftest import Outcome

PSA_VERSIONS = [f"v1.{minor}" for minor in range(LATEST_MINOR + 1)]


def _scan(root: Path, level: str, version: str = "latest") -> ScanResult:
    settings = PssSettings(level=PssLevel(level), version=PssVersion.parse(version))
    request = ScanRequest(spec=str(root), scanners=("pss",), use_gitignore=False)
    return run_scan(request, default_registry(pss=settings))


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_pod_security_admission_fixtures_every_version(level: str) -> None:
    root = corpus_path("pod-security-admission")
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    disagreements: list[str] = []
    checked = 0
    for version in PSA_VERSIONS:
        directory = root / level / version
        if not directory.is_dir():
            continue
        result = _scan(directory, level, version)
        fired: dict[str, set[str]] = {}
        for finding in result.findings:
            assert finding.location.path is not None
            fired.setdefault(finding.location.path, set()).add(finding.rule_id)
        for relative, record in expected.items():
            if record["level"] != level or record["version"] != version:
                continue
            checked += 1
            inside = relative.removeprefix(f"{level}/{version}/")
            rules = fired.get(inside, set())
            ok = not rules if record["expect"] == "pass" else pss_rule_id(record["check"]) in rules
            if not ok:
                disagreements.append(f"{relative}: {sorted(rules)}")
    print(f"PSS scanner agreement ({level}): {checked - len(disagreements)}/{checked}")
    assert checked > 1000
    assert disagreements == []


POD = """apiVersion: v1
kind: Pod
metadata: {{name: {name}{namespace}}}
spec:
  {host}containers:
    - name: c
      image: registry.example.com/c:1
"""


def _pod(name: str, namespace: str = "", host: bool = False) -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return POD.format(name=name, namespace=ns, host="hostNetwork: true\n  " if host else "")


def _namespace(name: str, level: str, version: str | None = None) -> str:
    labels = f"    pod-security.kubernetes.io/enforce: {level}\n"
    if version is not None:
        labels += f"    pod-security.kubernetes.io/enforce-version: {version}\n"
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n{labels}"


def _by_resource(result: ScanResult) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in result.findings:
        resource = finding.location.resource
        assert resource is not None
        found.setdefault(resource.name, set()).add(finding.rule_id)
    return found


def test_requested_level_and_version(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(_pod("plain"))
    restricted = _by_resource(_scan(tmp_path, "restricted", "v1.30"))
    assert restricted["plain"] == {
        "PSS-allowPrivilegeEscalation",
        "PSS-capabilities_restricted",
        "PSS-runAsNonRoot",
        "PSS-seccompProfile_restricted",
    }
    # seccompProfile_restricted entered the restricted level at v1.19.
    assert "PSS-seccompProfile_restricted" not in _by_resource(
        _scan(tmp_path, "restricted", "v1.18")
    ).get("plain", set())
    assert _scan(tmp_path, "baseline").findings == ()


def test_namespace_enforce_label_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(
        _namespace("legacy", "baseline", "v1.25") + "---\n" + _namespace("open", "privileged")
    )
    workloads = [
        _pod("in-legacy", "legacy"),
        _pod("host-in-legacy", "legacy", host=True),
        _pod("host-in-open", "open", host=True),
        _pod("elsewhere"),
    ]
    (tmp_path / "pods.yaml").write_text("---\n".join(workloads))
    result = _scan(tmp_path, "restricted")
    found = _by_resource(result)
    assert "in-legacy" not in found  # baseline admits a plain pod
    assert found["host-in-legacy"] == {"PSS-hostNamespaces"}
    assert "host-in-open" not in found  # privileged admits everything
    assert "PSS-runAsNonRoot" in found["elsewhere"]  # no label: --pss-level restricted
    message = next(f.message for f in result.findings if "host-in-legacy" in f.message)
    assert "PSS baseline v1.25 (namespace label at ns.yaml:6)" in message
    host = next(f for f in result.findings if f.rule_id == "PSS-hostNamespaces")
    assert host.severity is Severity.HIGH
    assert host.location.start_line == 13  # the hostNetwork line of the second pod


def test_bad_namespace_labels_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(
        _namespace("a", "strict") + "---\n" + _namespace("b", "baseline", "v2.0")
    )
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfeapiVersion kind")
    (tmp_path / "README.md").write_text("apiVersion kind: not a manifest\n")
    (tmp_path / "values.yaml").write_text("replicas: 2\n")  # not Kubernetes
    result = _scan(tmp_path, "baseline")
    reasons = [c.reason for c in result.coverage if isinstance(c, Failed) and c.by == "pss"]
    assert any(
        "namespace a: invalid pod-security.kubernetes.io/enforce label" in r for r in reasons
    )
    assert any("namespace b: invalid Pod Security Standards version" in r for r in reasons)


def test_rules_cover_every_control() -> None:
    assert [rule.id for rule in PSS_RULES] == [pss_rule_id(c.id) for c in PSS_CONTROLS]
    settings = PssSettings(level=PssLevel.BASELINE, version=PssVersion.parse("latest"))
    assert PssScanner(settings).rules() == PSS_RULES
    assert all(rule.peers["pss"].endswith(rule.id.removeprefix("PSS-")) for rule in PSS_RULES)


def test_cli_options_and_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from secloop.cli import main

    def run(*args: str) -> Outcome:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        return Outcome(code=int(exited.value.code or 0), out=captured.out, err=captured.err)

    project = tmp_path / "proj"
    project.mkdir()
    (project / "pod.yaml").write_text(_pod("plain"))
    monkeypatch.chdir(tmp_path)
    scan: Callable[..., Outcome] = lambda *extra: run(  # noqa: E731
        "scan", str(project), "--scanners", "pss", "-q", "-f", "json", *extra
    )
    ids = {f["rule_id"] for f in json.loads(scan("--pss-level", "restricted").out)["findings"]}
    assert "PSS-runAsNonRoot" in ids
    assert scan("--pss-level", "baseline", "--pss-version", "v1.30").code == 0
    bad = scan("--pss-level", "baseline", "--pss-version", "1.x")
    assert bad.code == 2
    assert "expected latest or v1.N" in bad.err
    alone = scan("--pss-version", "v1.30")
    assert alone.code == 2
    assert "needs --pss-level" in alone.err
    (tmp_path / "secloop.yaml").write_text("pss_level: restricted\npss_version: v1.18\n")
    ids = {f["rule_id"] for f in json.loads(scan().out)["findings"]}
    assert "PSS-runAsNonRoot" in ids
    assert "PSS-seccompProfile_restricted" not in ids


def test_namespace_walked_after_its_workloads_still_decides(tmp_path: Path) -> None:
    (tmp_path / "a-pods.yaml").write_text(_pod("host-in-open", "open", host=True))
    (tmp_path / "z-namespaces.yaml").write_text(_namespace("open", "privileged"))
    assert _scan(tmp_path, "baseline").findings == ()


def test_one_scanner_serves_scan_after_scan(tmp_path: Path) -> None:
    """What one scan saw during its walk never leaks into the next scan."""
    first, second, empty = tmp_path / "first", tmp_path / "second", tmp_path / "empty"
    for directory in (first, second, empty):
        directory.mkdir()
    (first / "ns.yaml").write_text(_namespace("open", "privileged"))
    (first / "pod.yaml").write_text(_pod("one", "open", host=True))
    (second / "pod.yaml").write_text(_pod("two", "open", host=True))
    settings = PssSettings(level=PssLevel.BASELINE, version=PssVersion.parse("latest"))
    registry = default_registry(pss=settings)

    def scan(root: Path) -> ScanResult:
        request = ScanRequest(spec=str(root), scanners=("pss",), use_gitignore=False)
        return run_scan(request, registry)

    assert scan(first).findings == ()
    found = scan(second).findings
    assert [f.rule_id for f in found] == ["PSS-hostNamespaces"]
    assert "(--pss-level)" in found[0].message  # the first scan's label is gone
    assert scan(empty).findings == ()


SUPPRESSED_POD = """apiVersion: v1
kind: Pod
metadata: {name: tools}
spec:
  # secloop:ignore PSS-hostNamespaces,SL-K8S-021 node agent needs the host network
  hostNetwork: true
  hostPID: true  # secloop:ignore PSS-hostNamespaces
  containers:
    - name: c
      image: registry.example.com/c:1
"""


def test_inline_markers_apply_to_pss_findings_as_to_kubernetes_ones(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(SUPPRESSED_POD)
    settings = PssSettings(level=PssLevel.BASELINE, version=PssVersion.parse("latest"))
    request = ScanRequest(spec=str(tmp_path), scanners=("pss", "kubernetes"))
    result = run_scan(request, default_registry(pss=settings))
    by_line = {(f.rule_id, f.location.start_line): f for f in result.findings}

    network = by_line[("PSS-hostNamespaces", 6)]
    assert network.suppression is not None
    assert network.suppression.reason == "node agent needs the host network"
    assert network.suppression.source == "pod.yaml:5"
    kubernetes = by_line[("SL-K8S-021", 6)]  # the same marker, the kubernetes rule
    assert kubernetes.suppression is not None
    assert kubernetes.suppression.source == "pod.yaml:5"

    # A marker without a reason is not applied, and the finding says why.
    pid = by_line[("PSS-hostNamespaces", 7)]
    assert pid.suppression is None
    assert "pod.yaml:7: secloop:ignore PSS-hostNamespaces has no reason; not applied" in (
        pid.message
    )
    # Findings on unmarked lines stay active.
    assert by_line[("SL-K8S-019", 7)].suppression is None
