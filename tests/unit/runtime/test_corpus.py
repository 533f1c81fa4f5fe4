"""Acceptance against third-party data: Falco's rule files and its legacy regression tests.

* every rules file of ``falco-rules`` loads with zero errors; rules of plugin sources
  secloop has no catalogue for (cloudtrail, gcpaudit, github, okta) are warnings only;
* all 66 Kubernetes audit cases of ``falco-legacy-tests`` give exactly the expected
  per-rule counts, priority and detect/no-detect outcome (a few also via the CLI);
* the 39 rule-loader ``validate_errors`` expectations of ``falco_tests.yaml`` and
  ``falco_tests_exceptions.yaml`` are detected with the same error code and item type.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from functools import cache
from typing import Any

import pytest
import yaml

from secloop.runtime.engine import Engine
from secloop.runtime.event import Event, Priority
from secloop.runtime.rules.diagnostics import Code
from secloop.runtime.rules.ruleset import Ruleset, load_rules
from secloop.runtime.sources import K8sAuditSource
from tests.conftest import CORPUS_ROOT, corpus_path

RULES = CORPUS_ROOT / "falco-rules"
LEGACY = CORPUS_ROOT / "falco-legacy-tests"
RULE_SETS = [
    ("rules/falco_rules.yaml",),
    ("rules/falco_rules.yaml", "rules/falco-incubating_rules.yaml"),
    ("rules/falco_rules.yaml", "rules/falco-sandbox_rules.yaml"),
    ("rules/falco_rules.yaml", "archive/application_rules.yaml"),
    ("rules/falco_rules.yaml", "archive/falco-deprecated_rules.yaml"),
    ("plugins/k8saudit/rules/k8s_audit_rules.yaml",),
    (
        "plugins/k8saudit/rules/k8s_audit_rules.yaml",
        "plugins/k8saudit-gke/rules/k8s_audit_rules_gke.yaml",
    ),
]
PLUGIN_FILES = [
    "plugins/cloudtrail/rules/aws_cloudtrail_rules.yaml",
    "plugins/gcpaudit/rules/gcp_auditlog_rules.yaml",
    "plugins/github/rules/github.yaml",
    "plugins/okta/rules/okta_rules.yaml",
]


def _json_cases() -> list[dict[str, Any]]:
    path = LEGACY / "k8s_audit_expected.json"
    return json.loads(path.read_text()) if path.exists() else []


CASES = _json_cases()


@cache
def _ruleset(files: tuple[str, ...]) -> Ruleset:
    return load_rules([LEGACY / f for f in files])


@pytest.mark.parametrize("files", RULE_SETS, ids=lambda f: f[-1])
def test_syscall_and_k8s_rule_files_load_without_errors_or_unknown_fields(
    files: tuple[str, ...],
) -> None:
    corpus_path("falco-rules")
    rules = load_rules([RULES / f for f in files])
    assert not rules.errors, [d.render() for d in rules.errors]
    skipped = {Code.LOAD_UNKNOWN_SOURCE, Code.LOAD_UNKNOWN_FILTER}
    assert not [d for d in rules.diagnostics if d.code in skipped]
    assert rules.rules


def test_upstream_rule_counts() -> None:
    corpus_path("falco-rules")
    k8s = load_rules([RULES / "plugins/k8saudit/rules/k8s_audit_rules.yaml"])
    assert len(k8s.rules) == 48
    stable = load_rules([RULES / "rules/falco_rules.yaml"])
    assert len(stable.rules) == 25


@pytest.mark.parametrize("file", PLUGIN_FILES)
def test_plugin_source_files_load_with_warnings_only(file: str) -> None:
    corpus_path("falco-rules")
    rules = load_rules([RULES / file])
    assert not rules.errors, [d.render() for d in rules.errors]
    assert {d.code for d in rules.diagnostics if d.level.value == "warning"} <= {
        Code.LOAD_UNKNOWN_SOURCE,
        Code.LOAD_UNUSED_MACRO,
        Code.LOAD_UNUSED_LIST,
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_k8s_audit_case_gives_the_expected_detections(case: dict[str, Any]) -> None:
    corpus_path("falco-legacy-tests")
    rules = _ruleset(tuple(case["rules_files"]))
    engine = Engine(rules)
    source = K8sAuditSource(LEGACY / case["events_file"])
    found = list(engine.run(source))
    counts = Counter(alert.rule for alert in found)
    assert bool(found) is case["detect"], counts
    for rule, expected in case.get("detect_counts", {}).items():
        assert counts[rule] == expected, (rule, counts)
    if "detect_level" in case and found:
        assert {a.priority for a in found} == {Priority.parse(case["detect_level"])}
    if "stderr_contains" in case:
        assert any(case["stderr_contains"] in reason for reason in source.stats.reasons)
    assert not engine.stats.rule_errors


def test_all_66_cases_are_present() -> None:
    corpus_path("falco-legacy-tests")
    assert len(CASES) == 66


CLI_CASES = [
    "create_privileged_pod",
    "user_outside_allowed_set",
    "fal_01_003",
    "create_sensitive_mount_pod",
]


@pytest.mark.parametrize("name", CLI_CASES)
def test_k8s_audit_case_through_the_cli(name: str) -> None:
    corpus_path("falco-legacy-tests")
    [case] = [c for c in CASES if c["name"] == name]
    args = [
        sys.executable,
        "-c",
        "from secloop.cli.runtime import detect_command; detect_command()",
        "--source",
        "k8s_audit",
        "--input",
        str(LEGACY / case["events_file"]),
        "--format",
        "json",
    ]
    for rules_file in case["rules_files"]:
        args += ["--rules", str(LEGACY / rules_file)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all({"rule", "priority", "output", "time", "fields"} <= set(a) for a in lines)
    assert bool(lines) is case["detect"]
    counts = Counter(a["rule"] for a in lines)
    for rule, expected in case.get("detect_counts", {}).items():
        assert counts[rule] == expected
    if "stderr_contains" in case:
        assert case["stderr_contains"] in done.stderr


class _MuxLoader(yaml.SafeLoader):
    """Avocado's ``!mux`` tag read as a plain mapping."""


def _mux(loader: yaml.SafeLoader, node: yaml.Node) -> dict[Any, Any]:
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


_MuxLoader.add_constructor("!mux", _mux)


def _validate_cases() -> list[tuple[str, list[str], dict[str, Any]]]:
    out: list[tuple[str, list[str], dict[str, Any]]] = []
    for name in ("falco_tests.yaml", "falco_tests_exceptions.yaml"):
        path = LEGACY / name
        if not path.exists():
            continue
        document = yaml.load(path.read_text(), Loader=_MuxLoader)  # noqa: S506 - SafeLoader subclass
        tests = document.get("trace_files", document)
        for test, spec in tests.items():
            if isinstance(spec, dict) and "validate_errors" in spec:
                out.extend(
                    (test, spec["validate_rules_file"], expected)
                    for expected in spec["validate_errors"]
                )
    return out


VALIDATE = _validate_cases()


@pytest.mark.parametrize(
    ("test", "files", "expected"), VALIDATE, ids=[f"{t}-{e['code']}" for t, _, e in VALIDATE]
)
def test_legacy_loader_error_is_detected(
    test: str, files: list[str], expected: dict[str, Any]
) -> None:
    corpus_path("falco-legacy-tests")
    errors = load_rules([LEGACY / f for f in files]).errors
    assert any(
        d.code.value == expected["code"] and d.item_type == expected["item_type"] for d in errors
    ), [d.render() for d in errors]


def test_legacy_loader_error_count() -> None:
    corpus_path("falco-legacy-tests")
    assert len(VALIDATE) == 39


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        (
            {
                "evt.type": "execve",
                "evt.dir": "<",
                "proc.name": "bash",
                "proc.tty": 34816,
                "proc.pname": "runc:[1:CHILD]",
                "container.id": "abc123",
                "user.uid": 0,
            },
            "Terminal shell in container",
        ),
        (
            {
                "evt.type": "openat",
                "evt.dir": "<",
                "proc.name": "cat",
                "fd.name": "/etc/shadow",
                "fd.typechar": "f",
                "fd.num": 3,
                "evt.is_open_read": True,
                "container.id": "host",
                "fd.directory": "/etc",
            },
            "Read sensitive file untrusted",
        ),
    ],
)
def test_stable_syscall_rules_fire_on_flat_field_events(payload: dict[str, Any], rule: str) -> None:
    corpus_path("falco-rules")
    engine = Engine(load_rules([RULES / "rules/falco_rules.yaml"]))
    found = engine.process(Event(source="syscall", time_ns=1, payload=payload, num=7))
    assert [alert.rule for alert in found] == [rule]
