"""The registry allowlist: SL-K8S-064 (images), SL-DF-041 (base images, hadolint DL3026) and
SL-COMPOSE-020 (Compose service images)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.core.errors import UsageError
from secloop.core.finding import Finding
from secloop.scan.misconfig import DockerfileScanner, KubernetesScanner
from secloop.scan.misconfig.registries import AllowedRegistries, canonical_image
from tests.unit.cli.conftest import Outcome
from tests.unit.misconfig.helpers import content

ALLOWED = ("registry.example.com", "ghcr.io/acme", "*.corp.example", "index.docker.io/library")


@pytest.mark.parametrize(
    ("image", "canonical"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("index.docker.io/bitnami/redis", "docker.io/bitnami/redis"),
        ("Registry.Example.com/App:1", "registry.example.com/App:1"),
        ("http://10.0.0.1:5000/x", "10.0.0.1:5000/x"),
    ],
)
def test_canonical_image(image: str, canonical: str) -> None:
    assert canonical_image(image) == canonical


@pytest.mark.parametrize(
    ("image", "allowed"),
    [
        ("registry.example.com/team/app:1", True),
        ("registry.example.com/app@sha256:" + "a" * 64, True),
        ("registry.example.com.evil.io/app", False),
        ("ghcr.io/acme/app:2", True),
        ("ghcr.io/acme", True),
        ("ghcr.io/acmeevil/app", False),
        ("ghcr.io/other/app", False),
        ("mirror.corp.example:8443/app", True),
        ("corp.example/app", False),
        ("nginx:1.27", True),  # docker.io/library via the index.docker.io alias
        ("bitnami/redis", False),
        ("quay.io/acme/app", False),
    ],
)
def test_allowlist_matching(image: str, allowed: bool) -> None:
    assert AllowedRegistries(ALLOWED).allows(image) is allowed


@pytest.mark.parametrize("entry", ["", "https://registry.example.com", "a b"])
def test_invalid_entries_are_usage_errors(entry: str) -> None:
    with pytest.raises(UsageError, match="invalid allowed registry"):
        AllowedRegistries([entry])


MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - {name: init, image: ghcr.io/acme/init:1}
      containers:
        - name: app
          image: quay.io/other/app:1
        - name: templated
          image: ${IMAGE}
"""


def test_kubernetes_check_only_with_an_allowlist() -> None:
    assert "SL-K8S-064" not in {r.id for r in KubernetesScanner().rules()}
    scanner = KubernetesScanner(ALLOWED)
    assert "SL-K8S-064" in {r.id for r in scanner.rules()}
    findings = [
        f
        for f in scanner.scan_file(content("web.yaml", MANIFEST))
        if isinstance(f, Finding) and f.rule_id == "SL-K8S-064"
    ]
    assert len(findings) == 1
    assert findings[0].location.start_line == 11
    assert "quay.io/other/app:1" in findings[0].message
    plain = KubernetesScanner().scan_file(content("web.yaml", MANIFEST))
    assert not [f for f in plain if isinstance(f, Finding) and f.rule_id == "SL-K8S-064"]


DOCKERFILE = """ARG BASE=alpine
FROM ghcr.io/acme/base:1 AS build
FROM build AS test
FROM ${BASE}
FROM scratch
FROM quay.io/other/runtime:2
"""


def test_dockerfile_check_judges_external_bases_only() -> None:
    assert "SL-DF-041" not in {r.id for r in DockerfileScanner().rules()}
    scanner = DockerfileScanner(ALLOWED)
    assert "SL-DF-041" in {r.id for r in scanner.rules()}
    findings = [
        f for f in scanner.scan_file(content("Dockerfile", DOCKERFILE)) if f.rule_id == "SL-DF-041"
    ]
    assert [f.location.start_line for f in findings] == [6]
    assert findings[0].evidence == "quay.io/other/runtime:2"


def test_cli_option_and_config(
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
    (project / "web.yaml").write_text(MANIFEST)
    (project / "Dockerfile").write_text(DOCKERFILE)
    (project / "compose.yaml").write_text("services:\n  app:\n    image: quay.io/other/app:1.0\n")
    monkeypatch.chdir(tmp_path)
    scanners = "kubernetes,dockerfile,compose"
    base = ("scan", str(project), "--scanners", scanners, "-q", "-f", "json")
    allowlist_rules = {"SL-K8S-064", "SL-DF-041", "SL-COMPOSE-020"}

    def fired(*extra: str) -> set[str]:
        report = json.loads(run(*base, *extra).out)
        return {f["rule_id"] for f in report["findings"]} & allowlist_rules

    assert fired() == set()
    assert fired("--allowed-registry", "ghcr.io/acme") == allowlist_rules
    # FROM ${BASE} is judged as its ARG default, alpine: docker.io/library/alpine.
    everything = ("--allowed-registry", "ghcr.io/acme", "--allowed-registry", "quay.io")
    assert fired(*everything) == {"SL-DF-041"}
    assert fired(*everything, "--allowed-registry", "docker.io/library") == set()
    (tmp_path / "secloop.yaml").write_text("allowed_registries: [ghcr.io/acme]\n")
    assert fired() == allowlist_rules
    # The option adds to the configured list.
    assert fired("--allowed-registry", "quay.io/other", "--allowed-registry", "docker.io") == set()
    bad = run(*base, "--allowed-registry", "https://quay.io")
    assert bad.code == 2
    assert "invalid allowed registry" in bad.err
