"""Each check's PASSED and FAILED fixture files (tests/fixtures/misconfig/<family>/<ID>/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.finding import Finding
from secloop.scan.misconfig import ComposeScanner, DockerfileScanner, KubernetesScanner
from secloop.scan.misconfig.scanner import scan_single_file
from tests.unit.misconfig.helpers import content

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "misconfig"
#: The registry allowlist of the fixtures of the allowlist rules (SL-COMPOSE-020...).
ALLOWLIST = ("registry.example.com", "docker.io/library")
SCANNERS = {
    "kubernetes": KubernetesScanner(ALLOWLIST),
    "dockerfile": DockerfileScanner(ALLOWLIST),
    "compose": ComposeScanner(ALLOWLIST),
}


def _cases() -> list[tuple[str, Path]]:
    return [
        (family, path)
        for family in SCANNERS
        for path in sorted((FIXTURES / family).glob("*/*"))
        if path.name.startswith(("passed", "failed"))
    ]


@pytest.mark.parametrize(
    ("family", "path"),
    _cases(),
    ids=lambda v: v if isinstance(v, str) else f"{v.parent.name}/{v.name}",
)
def test_fixture_outcome(family: str, path: Path) -> None:
    scanner = SCANNERS[family]
    rule_id = path.parent.name
    findings = scan_single_file(scanner, content(path.name, path.read_text(encoding="utf-8")))
    fired = [f for f in findings if isinstance(f, Finding) and f.rule_id == rule_id]
    if path.name.startswith("failed"):
        assert fired, f"{rule_id} should fire on {path}"
    else:
        assert not fired, f"{rule_id} fired on {path}: {[f.message for f in fired]}"


@pytest.mark.parametrize("family", sorted(SCANNERS))
def test_every_rule_has_both_fixtures(family: str) -> None:
    for rule in SCANNERS[family].rules():
        folder = FIXTURES / family / rule.id
        assert list(folder.glob("passed*")), f"no PASSED fixture for {rule.id}"
        assert list(folder.glob("failed*")), f"no FAILED fixture for {rule.id}"
