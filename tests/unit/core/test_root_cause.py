"""The root-cause vocabulary: every cause links rules of at least two families."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.scan.registry import default_registry


def _shipped_rules() -> dict[str, Rule]:
    registry = default_registry(allowed_registries=("registry.example.com",))
    return {rule.id: rule for scanner in registry.scanners for rule in scanner.rules()}


def _families_by_cause() -> dict[RootCause, set[str]]:
    families: dict[RootCause, set[str]] = defaultdict(set)
    for rule in _shipped_rules().values():
        if rule.root_cause is not None:
            families[rule.root_cause].add(rule.tags[0])
    return families


@pytest.mark.parametrize("cause", list(RootCause))
def test_every_cause_is_used_by_two_rule_families(cause: RootCause) -> None:
    assert len(_families_by_cause()[cause]) >= 2, f"{cause} has nothing to be linked with"


@pytest.mark.parametrize("cause", list(RootCause))
def test_every_cause_explains_itself(cause: RootCause) -> None:
    assert cause.description
    assert cause.description[0].islower()


@pytest.mark.parametrize(
    ("rule_id", "cause"),
    [
        ("SL-DF-001", RootCause.RUNS_AS_ROOT),
        ("SL-DF-002", RootCause.RUNS_AS_ROOT),
        ("SL-IMG-001", RootCause.RUNS_AS_ROOT),
        ("SL-K8S-009", RootCause.RUNS_AS_ROOT),
        ("SL-K8S-010", RootCause.RUNS_AS_ROOT),
        ("SL-COMPOSE-010", RootCause.RUNS_AS_ROOT),
        ("SL-DF-007", RootCause.NO_HEALTHCHECK),
        ("SL-IMG-008", RootCause.NO_HEALTHCHECK),
        ("SL-DF-006", RootCause.SECRET_IN_ENVIRONMENT),
        ("SL-IMG-002", RootCause.SECRET_IN_ENVIRONMENT),
        ("SL-DF-015", RootCause.REMOTE_SCRIPT_IN_BUILD),
        ("SL-IMG-005", RootCause.REMOTE_SCRIPT_IN_BUILD),
        ("SL-IMG-010", RootCause.MUTABLE_IMAGE_REFERENCE),
        ("SL-K8S-033", RootCause.MUTABLE_IMAGE_REFERENCE),
        ("SL-IMG-011", RootCause.PLAIN_HTTP_REGISTRY),
    ],
)
def test_rules_name_their_cause(rule_id: str, cause: RootCause) -> None:
    assert _shipped_rules()[rule_id].root_cause is cause


def test_rules_about_something_else_name_no_cause() -> None:
    rules = _shipped_rules()
    # A base image tag is about the build's input, not the scanned image's reference;
    # privilege escalation has no counterpart in a Dockerfile or image configuration.
    assert rules["SL-DF-005"].root_cause is None
    assert rules["SL-K8S-002"].root_cause is None


def test_rules_show_names_the_cause(capsys: pytest.CaptureFixture[str]) -> None:
    from secloop.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["rules", "show", "SL-IMG-001"])
    assert exited.value.code in (0, None)
    assert "Root cause:  runs-as-root (the container runs as root)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["rules", "show", "SL-DF-002", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["root_cause"] == "runs-as-root"
