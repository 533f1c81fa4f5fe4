"""Edge cases of the checks changed while measuring agreement with the peers' corpora.

Each fix has its PASSED/FAILED fixture under tests/fixtures/misconfig/; these cover the
branches a fixture file cannot reach on its own.
"""

from __future__ import annotations

import pytest

from secloop.core.severity import Severity
from secloop.scan.misconfig.dockerfile.shell import Command, program
from secloop.scan.misconfig.kubernetes.checks_workload import is_valid_digest, looks_like_secret
from tests.unit.misconfig.helpers import scan_docker, scan_k8s

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\n  namespace: shop\n"


def _rules(text: str) -> set[str]:
    return {f.rule_id for f in scan_k8s(text)}


@pytest.mark.parametrize(
    ("body", "fires"),
    [
        ("type: kubernetes.io/service-account-token\ndata:\n  token: dG9rZW4tdmFsdWU=\n", False),
        ("type: {nested: 1}\ndata:\n  token: dG9rZW4tdmFsdWU=\n", True),
        ("data:\n  token: not base64 but a value\n", True),
        ("data:\n  token: {a: 1}\n", False),
        ("data:\n  token: YWI=\n", False),  # two characters decoded: too short to be one
        ("stringData:\n  url: <value>\n", False),
    ],
)
def test_secret_manifest_values(body: str, fires: bool) -> None:
    assert ("SL-K8S-065" in _rules(SECRET + body)) is fires


@pytest.mark.parametrize(
    ("digest", "valid"),
    [
        ("sha256:" + "a" * 64, True),
        ("sha512:" + "0" * 128, True),
        ("blake3:" + "f" * 64, True),
        ("custom+alg.v2:Zm9v_-=", True),
        ("sha256:123456", False),
        ("sha256:" + "A" * 64, False),
        ("sha256", False),
        ("SHA256:" + "a" * 64, False),
    ],
)
def test_digest_grammar(digest: str, valid: bool) -> None:
    assert is_valid_digest(digest) is valid


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("AUTH_HEADER", "Bearer 4f1c9a7be2d84c55", True),
        ("AUTH_HEADER", "Bearer ${TOKEN}", False),
        ("GOOGLE_API_KEY", "GOOGLE_API_KEY_VAL", False),
        ("DB_PASSWORD", "your-db-password", False),
        ("DB_PASSWORD", "db-password-2024", True),
        ("PASSWORD", "password123", True),
        ("API_TOKEN", "a b c d e", True),  # not an identifier: never a fill-in marker
    ],
)
def test_literal_credentials(name: str, value: str, secret: bool) -> None:
    assert looks_like_secret(name, value) is secret


def test_run_as_non_root_false_fires_whatever_the_uid() -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n"
        "  securityContext:\n    runAsUser: 1000\n    runAsNonRoot: false\n"
        "  containers:\n  - name: c\n    image: x\n"
    )
    assert "SL-K8S-009" in _rules(pod)
    assert "SL-K8S-009" not in _rules(pod.replace("    runAsNonRoot: false\n", ""))
    assert "SL-K8S-009" in _rules(pod.replace("runAsUser: 1000", "runAsUser: 0"))


def test_admin_equivalent_role_must_be_the_bound_one() -> None:
    role = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: all\n"
        "  namespace: {ns}\nrules:\n- apiGroups: ['']\n  resources: ['*']\n  verbs: ['*']\n"
    )
    binding = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n"
        "  namespace: shop\nroleRef:\n  kind: Role\n  name: all\nsubjects:\n"
        "- kind: ServiceAccount\n  name: web\n"
    )
    same = [
        f for f in scan_k8s(role.format(ns="shop") + "---\n" + binding) if f.rule_id == "SL-K8S-047"
    ]
    assert len(same) == 1
    assert same[0].severity is Severity.HIGH
    # A Role of another namespace is not the one a RoleBinding names.
    assert "SL-K8S-047" not in _rules(role.format(ns="other") + "---\n" + binding)


def test_privileged_workloads_alone_in_a_namespace_are_not_mixed() -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n"
        "  hostPID: true\n  containers:\n  - name: c\n    image: x\n"
    )
    stream = pod.format(name="a") + "---\n" + pod.format(name="b")
    assert "SL-K8S-061" not in _rules(stream)


def test_program_is_resolved_once_past_wrappers_and_assignments() -> None:
    command = Command(("sudo", "-E", "DEBIAN_FRONTEND=noninteractive", "/usr/bin/apt-get", "-y"))
    assert program(command) == ("apt-get", ("-y",))
    assert program(Command(("FOO=1",))) == ("", ())


def test_deleted_file_under_a_copied_directory_and_globs() -> None:
    text = (
        "FROM debian:12\nCOPY certs/ /etc/app/\nCOPY a.key b.txt /opt/\n"
        "RUN rm /opt/b.txt /opt/*.key $KEY\n"
    )
    hits = [f for f in scan_docker(text) if f.rule_id == "SL-DF-042"]
    assert [(h.evidence, h.severity) for h in hits] == [("/opt/b.txt", Severity.LOW)]
