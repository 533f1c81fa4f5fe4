"""The benchmark's generated tree: deterministic, valid, and exercising the checks."""

from __future__ import annotations

from pathlib import Path

from bench.bench_misconfig import generate

from secloop.scan.misconfig.documents import parse_stream
from tests.unit.misconfig.helpers import scan_docker, scan_k8s


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_counts_give_the_same_bytes(tmp_path: Path) -> None:
    first = _files(generate(tmp_path / "a", manifests=40, dockerfiles=10))
    second = _files(generate(tmp_path / "b", manifests=40, dockerfiles=10))
    assert first == second
    assert len(first) == 50


def test_generated_files_parse_and_raise_findings(tmp_path: Path) -> None:
    root = generate(tmp_path, manifests=40, dockerfiles=10)
    k8s_rules: set[str] = set()
    for path in sorted((root / "k8s").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert not parse_stream(text, json_syntax=False).errors, path
        k8s_rules |= {f.rule_id for f in scan_k8s(text)}
    docker_rules = {
        f.rule_id
        for path in sorted((root / "docker").rglob("Dockerfile"))
        for f in scan_docker(path.read_text(encoding="utf-8"))
    }
    assert len(k8s_rules) >= 25  # a mix of hardened and broken settings
    assert len(docker_rules) >= 12
