"""``secloop rules list`` and ``secloop rules show``: the built-in rule catalogue."""

from __future__ import annotations

import json

import pytest

from secloop.cli import main
from secloop.cli.rules import catalogue
from secloop.scan.misconfig.scanner import DockerfileScanner, KubernetesScanner
from secloop.scan.registry import default_registry
from tests.unit.cli.conftest import Outcome


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return Outcome(code=int(exited.value.code or 0), out=captured.out, err=captured.err)


def test_catalogue_holds_every_scanner_rule_once() -> None:
    entries = catalogue()
    ids = [entry.rule.id for entry in entries]
    assert len(ids) == len(set(ids))
    expected = {rule.id for scanner in default_registry().scanners for rule in scanner.rules()}
    optional = {"SL-K8S-064", "SL-DF-041", "PSS-privileged", "PSS-runAsNonRoot"}
    assert expected < set(ids)
    assert optional <= set(ids) - expected  # rules of checks that need configuration
    shared = next(e for e in entries if "secret-deleted" in e.scanners)
    assert shared.scanners[0] == "secret"  # a rule two scanners report lists both


def test_list_table_and_filter(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _run(capsys, "rules", "list", "--scanner", "kubernetes")
    assert outcome.code == 0
    lines = outcome.out.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "SCANNER", "TITLE"]
    assert all("kubernetes" in line for line in lines[1:-1])
    kubernetes = KubernetesScanner(("registry.example.com",))  # with the allowlist check
    assert lines[-1] == f"{len(kubernetes.rules())} rules"
    assert any(line.startswith("SL-K8S-001 ") for line in lines)
    everything = _run(capsys, "rules", "list").out
    assert "SL-COMPOSE-001" in everything
    assert "SL-K8S-001" in everything


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _run(capsys, "rules", "list", "--scanner", "dockerfile", "--format", "json")
    rules = json.loads(outcome.out)
    assert len(rules) == len(DockerfileScanner(("registry.example.com",)).rules())
    assert {rule["scanners"][0] for rule in rules} == {"dockerfile"}
    first = rules[0]
    assert set(first) >= {"id", "severity", "title", "description", "remediation", "peers"}


def test_unknown_scanner_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _run(capsys, "rules", "list", "--scanner", "kube")
    assert outcome.code == 2
    assert "unknown scanner 'kube'" in outcome.err
    assert "kubernetes" in outcome.err


def test_show_text_has_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _run(capsys, "rules", "show", "sl-k8s-001")
    assert outcome.code == 0
    text = outcome.out
    assert text.startswith("SL-K8S-001: Container runs privileged")
    for expected in (
        "Severity:    High",
        "PSS control: baseline:privileged",
        "Remediation:",
        "checkov: CKV_K8S_16",
        "Frameworks:",
        "References:",
        "https://kubernetes.io/",
    ):
        assert expected in text


def test_pss_rules_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    rules = json.loads(_run(capsys, "rules", "list", "--scanner", "pss", "--format", "json").out)
    assert len(rules) == 19
    assert {"pss_control": "restricted:runAsNonRoot", "id": "PSS-runAsNonRoot"}.items() <= next(
        r for r in rules if r["id"] == "PSS-runAsNonRoot"
    ).items()


def test_show_json_and_rule_without_pss(capsys: pytest.CaptureFixture[str]) -> None:
    rule_id = next(e.rule.id for e in catalogue() if e.scanners == ("dockerfile",))
    rule = json.loads(_run(capsys, "rules", "show", rule_id, "--format", "json").out)
    assert rule["id"] == rule_id
    assert rule["pss_control"] is None
    assert "PSS control" not in _run(capsys, "rules", "show", rule_id).out


def test_show_unknown_rule_suggests_close_ids(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _run(capsys, "rules", "show", "SL-K8S-0O1")
    assert outcome.code == 2
    assert "unknown rule 'SL-K8S-0O1'; did you mean" in outcome.err
    far = _run(capsys, "rules", "show", "nothing-like-it")
    assert "see `secloop rules list`" in far.err


def test_table_truncates_long_titles_and_details_skip_empty_fields() -> None:
    from secloop.cli.rules import CatalogueEntry, _details, _table
    from secloop.core.finding import FindingKind
    from secloop.core.rule import Rule
    from secloop.core.severity import Severity

    rule = Rule(id="X-1", kind=FindingKind.MISCONFIGURATION, title="t" * 90, severity=Severity.LOW)
    table = _table([CatalogueEntry(rule, ("custom",))])
    assert "t" * 69 + "…" in table
    assert "t" * 70 not in table
    details = _details(CatalogueEntry(rule, ("custom",)))
    assert "(no description)" in details
    assert "Remediation" not in details
    assert "Peers" not in details
