"""Custom Rego policies (conftest-compatible) through regopy: loading, results, scanning.

What regopy 1.5 (rego-cpp) supports, as these tests pin down: conftest's v0 style
``deny[msg] { ... }`` and Rego v1 ``deny contains msg if { ... }`` (with or without
``import rego.v1``) both evaluate; the same rule name written in both styles within one
package does not (rego-cpp compiles v0 as an object), and load_policies says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.core.finding import Finding
from secloop.core.severity import Severity
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import PartialFailure, ScanError
from secloop.scan.misconfig.rego import PolicyError, RegoScanner, load_policies
from secloop.scan.misconfig.rego.engine import PolicyRuntimeError, error_message
from secloop.scan.misconfig.rego.results import parse_field_path, policy_results
from secloop.scan.registry import default_registry
from tests.unit.cli.conftest import Outcome
from tests.unit.misconfig.helpers import content

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"

CONFTEST_V0 = """package main

deny[msg] {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := "Containers must not run as root"
}
"""
REGO_V1 = """package main

import rego.v1

deny contains msg if {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := "Containers must not run as root"
}
"""
REGO_V1_NO_IMPORT = REGO_V1.replace("import rego.v1\n", "")
ROOT_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1
"""
NON_ROOT_DEPLOYMENT = ROOT_DEPLOYMENT.replace(
    "    spec:\n      containers:",
    "    spec:\n      securityContext: {runAsNonRoot: true}\n      containers:",
)


def _policy_dir(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "policy"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.rego").write_text(text, encoding="utf-8")
    return directory


def _scan(policy_dir: Path, path: str, text: str, namespaces: tuple[str, ...] = ()) -> list[object]:
    scanner = RegoScanner(load_policies([policy_dir], namespaces))
    return list(scanner.scan_file(content(path, text)))


@pytest.mark.parametrize(
    "source", [CONFTEST_V0, REGO_V1, REGO_V1_NO_IMPORT], ids=["v0", "v1", "v1-bare"]
)
def test_conftest_example_fails_root_and_passes_non_root(tmp_path: Path, source: str) -> None:
    policy = _policy_dir(tmp_path, deployment=source)
    failed = _scan(policy, "k8s/web.yaml", ROOT_DEPLOYMENT)
    assert len(failed) == 1
    finding = failed[0]
    assert isinstance(finding, Finding)
    assert finding.rule_id == "REGO.main.deny"
    assert finding.severity is Severity.HIGH
    assert finding.message == "Deployment/shop/web: Containers must not run as root"
    assert finding.location.start_line == 1
    assert finding.location.resource is not None
    assert finding.location.resource.name == "web"
    assert _scan(policy, "k8s/web.yaml", NON_ROOT_DEPLOYMENT) == []


def test_result_object_sets_id_severity_and_line(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path,
        image="""package main
import rego.v1
violation contains {"msg": msg, "rule": "ORG-1", "severity": "critical", "path": path} if {
  some i
  c := input.spec.template.spec.containers[i]
  not startswith(c.image, "internal.example.com/")
  msg := sprintf("image %s is not from the internal registry", [c.image])
  path := sprintf("spec.template.spec.containers[%d].image", [i])
}
warn contains {"msg": "replicas not set"} if { not input.spec.replicas }
""",
    )
    findings = {
        f.rule_id: f for f in _scan(policy, "web.yaml", ROOT_DEPLOYMENT) if isinstance(f, Finding)
    }
    assert findings["ORG-1"].severity is Severity.CRITICAL
    assert findings["ORG-1"].location.start_line == 9  # the image line, from the line map
    assert "registry.example.com/app:1" in findings["ORG-1"].message
    assert findings["REGO.main.warn"].severity is Severity.MEDIUM
    assert findings["REGO.main.warn"].location.start_line == 1


def test_every_document_of_a_stream_and_json_files(tmp_path: Path) -> None:
    policy = _policy_dir(tmp_path, deployment=CONFTEST_V0)
    stream = f"{NON_ROOT_DEPLOYMENT}---\n{ROOT_DEPLOYMENT}"
    (finding,) = _scan(policy, "all.yaml", stream)
    assert isinstance(finding, Finding)
    assert finding.location.start_line == 12  # the second document's first line (after ---)
    as_json = json.dumps({"kind": "Deployment", "metadata": {"name": "j"}, "spec": {}})
    assert len(_scan(policy, "web.json", as_json)) == 1


def test_namespace_selects_the_package(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path, other=CONFTEST_V0.replace("package main", "package k8s.security")
    )
    assert _scan(policy, "web.yaml", ROOT_DEPLOYMENT) == []  # default namespace: main
    (finding,) = _scan(policy, "web.yaml", ROOT_DEPLOYMENT, ("k8s.security",))
    assert isinstance(finding, Finding)
    assert finding.rule_id == "REGO.k8s.security.deny"
    with pytest.raises(PolicyError, match="invalid policy namespace"):
        load_policies([policy], ["bad-name"])


def test_dockerfile_in_conftest_shape(tmp_path: Path) -> None:
    findings = _scan(
        EXAMPLES, "app/Dockerfile", "FROM alpine:3.20\nRUN echo hi\nFROM openjdk:8 AS build\n"
    )
    (finding,) = findings
    assert isinstance(finding, Finding)
    assert finding.location.start_line == 3  # "path": "[2]" names the third instruction
    assert "openjdk:8" in finding.message
    assert _scan(EXAMPLES, "app/Dockerfile", "FROM alpine:3.20\n") == []


def test_dockerfile_input_fields(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path,
        shape="""package main
import rego.v1
deny contains json.marshal(input) if { true }
""",
    )
    text = 'FROM --platform=linux/amd64 alpine:3 AS base\nENV A=1 B="x y"\nCMD ["run", "--fast"]\n'
    (finding,) = _scan(policy, "Dockerfile", text)
    assert isinstance(finding, Finding)
    commands = json.loads(finding.message.removeprefix("dockerfile: "))
    assert commands[0] == {
        "Cmd": "from", "Flags": ["--platform=linux/amd64"], "JSON": False,
        "Original": "FROM --platform=linux/amd64 alpine:3 AS base", "Stage": 0, "SubCmd": "",
        "Value": ["alpine:3", "AS", "base"],
    }  # fmt: skip
    assert commands[1]["Value"] == ["A", "1", "B", "x y"]
    assert commands[2]["Value"] == ["run", "--fast"]
    assert commands[2]["JSON"] is True


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path, good=CONFTEST_V0, bad="package main\n\ndeny[msg] {\n  input.kind ==\n}\n"
    )
    with pytest.raises(
        PolicyError, match=r"bad\.rego:4:\d+: invalid policy: Invalid boolean operator"
    ):
        load_policies([policy])


def test_bad_policy_sets_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="policy directory not found"):
        load_policies([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x_test.rego").write_text(CONFTEST_V0)  # tests are not policies
    with pytest.raises(PolicyError, match=r"no \*\.rego policy files"):
        load_policies([tmp_path / "empty"])
    nopkg = _policy_dir(tmp_path, nopkg="deny[msg] { msg := 1 }\n")
    with pytest.raises(PolicyError, match="no package declaration"):
        load_policies([nopkg])
    assert PolicyError("x").exit_code == 2


def test_mixed_rule_styles_in_one_package_are_reported(tmp_path: Path) -> None:
    policy = _policy_dir(tmp_path, a=CONFTEST_V0, b=REGO_V1)
    with pytest.raises(PolicyError, match=r"rule main\.deny is written in both Rego v0"):
        load_policies([policy])


def test_runtime_error_is_a_partial_failure_of_that_document(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path,
        div="""package main
deny[msg] {
  ratio := 10 / input.spec.replicas
  msg := sprintf("ratio %v", [ratio])
}
""",
    )
    good = "kind: Deployment\nspec: {replicas: 5}\n"
    bad = "kind: Deployment\nspec: {replicas: 0}\n"
    outcomes = _scan(policy, "s.yaml", f"{bad}---\n{good}")
    failures = [o for o in outcomes if isinstance(o, PartialFailure)]
    findings = [o for o in outcomes if isinstance(o, Finding)]
    assert len(failures) == 1
    assert "s.yaml: document 1 (line 1): evaluation error" in failures[0].reason
    assert [f.message for f in findings] == ["document 2: ratio 2"]
    with pytest.raises(ScanError, match="Dockerfile: evaluation error"):
        _scan(
            _policy_dir(
                tmp_path,
                div=(
                    "package main\n"
                    'deny[msg] { x := 1 / (count(input) - 1); msg := sprintf("%v", [x]) }\n'
                ),
            ),
            "Dockerfile",
            "FROM a\n",
        )


def test_unsafe_variable_surfaces_when_evaluated(tmp_path: Path) -> None:
    # rego-cpp accepts an unbound variable at compile time; it fails on evaluation.
    policy = _policy_dir(
        tmp_path, unsafe="package main\n\ndeny[msg] {\n  msg := undefined_var\n}\n"
    )
    (failure,) = _scan(policy, "a.yaml", "kind: Pod\n")
    assert isinstance(failure, PartialFailure)
    assert "Not a term" in failure.reason


def test_unknown_function_surfaces_when_evaluated(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path, unknown="package main\n\ndeny[msg] {\n  msg := no_such_fn(1)\n}\n"
    )
    (failure,) = _scan(policy, "a.yaml", "kind: Pod\n")
    assert isinstance(failure, PartialFailure)
    assert "Function not found: no_such_fn" in failure.reason


def test_bad_severity_in_a_result_is_reported(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path,
        sev=(
            "package main\nimport rego.v1\n"
            'deny contains {"msg": "m", "severity": "urgent"} if { true }\n'
        ),
    )
    (failure,) = _scan(policy, "a.yaml", "kind: Pod\n")
    assert isinstance(failure, PartialFailure)
    assert "unknown severity 'urgent'" in failure.reason


def test_result_shapes() -> None:
    assert [
        r.message for r in policy_results("main", "deny", {"a": True, '{"msg":"b"}': True})
    ] == ["a", "b"]
    assert [r.message for r in policy_results("main", "deny_x", True)] == ["main.deny_x is true"]
    assert policy_results("main", "deny", False) == []
    assert [r.message for r in policy_results("main", "warn", [3])] == ["3"]
    assert [r.message for r in policy_results("main", "deny", ["{not json"])] == ["{not json"]
    (obj,) = policy_results("main", "deny", [{"details": 1}])
    assert obj.message == '{"details": 1}'
    assert obj.rule_id == "REGO.main.deny"
    (warn,) = policy_results("main", "warn_labels", ["w"])
    assert warn.severity is Severity.MEDIUM
    assert warn.rule_id == "REGO.main.warn_labels"


def test_parse_field_path() -> None:
    assert parse_field_path("spec.containers[0].image") == ("spec", "containers", 0, "image")
    assert parse_field_path('metadata.labels["app.kubernetes.io/name"]') == (
        "metadata", "labels", "app.kubernetes.io/name",
    )  # fmt: skip
    assert parse_field_path(["spec", 0]) == ("spec", 0)
    assert parse_field_path(["spec", None]) is None
    assert parse_field_path("") is None
    assert parse_field_path(3) is None


def test_error_message_reads_rego_cpp_error_text() -> None:
    text = "(error\n  (errormsg 10:Not a term)\n  (errormsg 10:Not a term))"
    assert error_message(text) == "Not a term"
    assert error_message("") == "evaluation failed"
    assert isinstance(PolicyRuntimeError("x"), Exception)


def test_rules_lists_each_policy_rule_once() -> None:
    scanner = RegoScanner(load_policies([EXAMPLES]))
    assert [rule.id for rule in scanner.rules()] == ["REGO.main.deny", "REGO.main.warn"]
    assert scanner.applies_to(content("x/Dockerfile", "").entry)
    assert not scanner.applies_to(content("x/readme.md", "").entry)


def test_pipeline_compiles_once_and_reports(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "web.yaml").write_text(ROOT_DEPLOYMENT)
    (tmp_path / "k8s" / "broken.yaml").write_text("kind: [\n")
    registry = default_registry(policies=load_policies([EXAMPLES]))
    result = run_scan(ScanRequest(spec=str(tmp_path), scanners=("rego",)), registry)
    assert sorted(f.rule_id for f in result.findings) == [
        "ORG-K8S-001",
        "REGO.main.deny",
        "REGO.main.warn",
    ]
    assert "REGO.main.deny" in result.rules
    assert any(c.path == "k8s/broken.yaml" for c in result.coverage if type(c).__name__ == "Failed")


def test_cli_policy_option_and_config(
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
    (project / "web.yaml").write_text(ROOT_DEPLOYMENT)
    monkeypatch.chdir(tmp_path)
    outcome = run(
        "scan", str(project), "--policy", str(EXAMPLES), "--scanners", "rego", "-q", "-f", "json"
    )
    assert outcome.code == 1
    ids = sorted(f["rule_id"] for f in json.loads(outcome.out)["findings"])
    assert ids == ["ORG-K8S-001", "REGO.main.deny", "REGO.main.warn"]
    (tmp_path / "secloop.yaml").write_text(
        f"policy: [{json.dumps(str(EXAMPLES))}]\nnamespace: [main]\n"
    )
    assert run("scan", str(project), "--scanners", "rego", "-q").code == 1
    bad = _policy_dir(tmp_path, bad="package main\ndeny[msg] {\n  input.kind ==\n}\n")
    outcome = run("scan", str(project), "--policy", str(bad), "-q")
    assert outcome.code == 2
    assert "bad.rego:3:" in outcome.err
    assert "Traceback" not in outcome.err


def test_policy_file_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secloop.scan.misconfig.rego import engine

    policy = _policy_dir(
        tmp_path, one=CONFTEST_V0, two=REGO_V1.replace("package main", "package b")
    )
    monkeypatch.setattr(engine, "MAX_POLICY_FILES", 1)
    with pytest.raises(PolicyError, match="more than 1 policy files"):
        load_policies([policy])
    monkeypatch.setattr(engine, "MAX_POLICY_BYTES", 10)
    with pytest.raises(PolicyError, match=r"one\.rego: policy larger than 10 bytes"):
        load_policies([policy / "one.rego"])
    (policy / "latin1.rego").write_bytes(b"package main\n# caf\xe9\n")
    monkeypatch.setattr(engine, "MAX_POLICY_BYTES", 1000)
    with pytest.raises(PolicyError, match=r"latin1\.rego: policy is not UTF-8 text"):
        load_policies([policy / "latin1.rego"])


def test_legacy_env_and_unbalanced_quotes_in_dockerfile_input(tmp_path: Path) -> None:
    policy = _policy_dir(
        tmp_path,
        env="package main\nimport rego.v1\n"
        'deny contains json.marshal(c.Value) if { some c in input; c.Cmd == "env" }\n',
    )
    findings = _scan(policy, "Dockerfile", 'FROM a\nENV NAME some value\nENV Q="open\n')
    messages = sorted(f.message for f in findings if isinstance(f, Finding))
    assert messages == ['dockerfile: ["NAME","some value"]', 'dockerfile: ["Q","\\"open"]']
