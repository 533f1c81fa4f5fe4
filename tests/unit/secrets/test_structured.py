"""Format readers: Kubernetes manifests, .env, Terraform state and notebooks.

Every value below is FAKE: shaped like a credential, issued by no one.
"""

from __future__ import annotations

import base64
import json

from secloop.core.finding import Finding
from secloop.scan.interface import FileContent, FileEntry, PartialFailure
from secloop.scan.secrets import SecretsScanner
from secloop.scan.secrets.structural import STRUCTURAL_RULES

GITHUB = "ghp_" + "FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Yf2"
RANDOM_PASSWORD = "Qw8rT2zL9vXp4KmN7bYc"  # no rule knows it; only its randomness tells


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _scan(path: str, text: str) -> list[Finding | PartialFailure]:
    data = text.encode()
    return list(
        SecretsScanner().scan_file(
            FileContent(entry=FileEntry(path=path, size=len(data)), data=data)
        )
    )


def _findings(path: str, text: str) -> list[Finding]:
    return [f for f in _scan(path, text) if isinstance(f, Finding)]


def _rule_lines(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return [(f.rule_id, f.location.start_line) for f in findings]


SECRET_MANIFEST = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: app
type: Opaque
data:
  token: {_b64(GITHUB)}
  signing-salt: {_b64(RANDOM_PASSWORD)}
  user: {_b64("admin")}
  flag: {_b64("true")}
  placeholder: {_b64("changeme-changeme")}
  template: "{{{{ .Values.password | b64enc }}}}"
  empty: ""
"""


def test_secret_data_is_decoded_and_reported_at_the_key_line() -> None:
    findings = _findings("deploy/secret.yaml", SECRET_MANIFEST)
    assert _rule_lines(findings) == [
        ("SECRET-GITHUB-PAT", 7),
        ("SECRET-K8S-SECRET-MANIFEST", 8),
    ]
    github, manifest = findings
    assert github.evidence is not None
    assert github.evidence.startswith("Secret.data.token (base64-decoded)")
    assert github.anchor.startswith("SECRET-GITHUB-PAT:sha256:")
    assert manifest.severity.label == "Medium"
    for finding in findings:
        assert GITHUB not in repr(finding)
        assert RANDOM_PASSWORD not in repr(finding)
        assert _b64(RANDOM_PASSWORD) not in repr(finding)


def test_base64_data_under_a_password_key_gets_the_generic_rule_with_key_context() -> None:
    manifest = SECRET_MANIFEST.replace("signing-salt", "password")
    assert ("SECRET-GENERIC-PASSWORD", 8) in _rule_lines(_findings("s.yaml", manifest))


def test_same_anchor_as_the_plain_text_finding() -> None:
    """A baseline made from a plaintext copy of the token still matches the manifest."""
    plain = _findings("s.yaml", f"token: {GITHUB}\n")
    decoded = _findings("s.yaml", SECRET_MANIFEST)
    assert plain[0].anchor == decoded[0].anchor


def test_string_data_and_configmap() -> None:
    text = f"""\
kind: Secret
metadata: {{name: s}}
stringData:
  random: {RANDOM_PASSWORD}
  note: hello world
---
kind: ConfigMap
metadata: {{name: c}}
data:
  config.json: |
    {{"github": "{GITHUB}"}}
  random: {RANDOM_PASSWORD}
"""
    # the ConfigMap's random value is configuration, not a Secret: only the Secret's counts
    assert _rule_lines(_findings("m.yaml", text)) == [
        ("SECRET-K8S-SECRET-MANIFEST", 4),
        ("SECRET-GITHUB-PAT", 11),
    ]


def test_list_of_secrets_in_json() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [{"kind": "Secret", "metadata": {"name": "x"}, "data": {"t": _b64(GITHUB)}}],
    }
    text = json.dumps(doc, indent=2)
    assert _rule_lines(_findings("list.json", text)) == [
        ("SECRET-GITHUB-PAT", _line_of(text, '"t":'))
    ]


def test_binary_secret_value_is_reported() -> None:
    keystore = base64.b64encode(bytes(range(200, 240))).decode()
    text = f"kind: Secret\nmetadata: {{name: ks}}\ndata:\n  keystore.jks: {keystore}\n"
    (finding,) = _findings("ks.yaml", text)
    assert finding.rule_id == "SECRET-K8S-SECRET-MANIFEST"
    assert finding.location.start_line == 4
    assert "(binary)" in finding.message


def test_non_manifest_yaml_is_text_only_and_broken_documents_are_partial() -> None:
    assert _findings("values.yaml", f"password: {RANDOM_PASSWORD}\n")[0].rule_id == (
        "SECRET-GENERIC-PASSWORD"
    )
    broken = f"kind: Secret\ndata:\n  t: [unclosed\n---\nkind: Secret\ndata:\n  t: {_b64(GITHUB)}\n"
    items = _scan("b.yaml", broken)
    assert any(isinstance(i, PartialFailure) for i in items)
    assert [(f.rule_id, f.location.start_line) for f in items if isinstance(f, Finding)] == [
        ("SECRET-GITHUB-PAT", 7)
    ]


def test_dotenv_file() -> None:
    text = (
        f"# local settings\nexport DB_PASSWORD='{RANDOM_PASSWORD}'\n"
        f"GITHUB_TOKEN={GITHUB}\nDEBUG=1\n"
    )
    assert _rule_lines(_findings(".env", text)) == [
        ("SECRET-GENERIC-PASSWORD", 2),
        ("SECRET-GITHUB-PAT", 3),
    ]


TFSTATE = {
    "version": 4,
    "outputs": {
        "db_password": {"value": "v9Lk2PzQ7mRw", "type": "string", "sensitive": True},
        "endpoint": {"value": "db.internal:5432", "type": "string"},
    },
    "resources": [
        {
            "mode": "managed",
            "type": "aws_db_instance",
            "name": "main",
            "instances": [
                {
                    "attributes": {
                        "password": "Zx81kPq2Lm4N",
                        "password_length": "16",
                        "secret_arn": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                        "username": "admin",
                        "nested": [{"auth_token": "Hy7tR4eW2qPo9L"}],
                    }
                }
            ],
        },
        {
            "mode": "managed",
            "type": "github_repository",
            "name": "r",
            "instances": [{"attributes": {"token": GITHUB}}],
        },
    ],
}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_terraform_state_sensitive_values() -> None:
    text = json.dumps(TFSTATE, indent=2)
    found = _rule_lines(_findings("infra/terraform.tfstate", text))
    structural = [item for item in found if item[0] == "SECRET-TFSTATE-SENSITIVE-VALUE"]
    assert structural == [
        ("SECRET-TFSTATE-SENSITIVE-VALUE", _line_of(text, '"db_password"') + 1),
        ("SECRET-TFSTATE-SENSITIVE-VALUE", _line_of(text, '"auth_token"')),
    ]
    # a value a text rule recognises is reported once, under that rule, at its line
    assert ("SECRET-GENERIC-PASSWORD", _line_of(text, '"password": "Zx81')) in found
    assert ("SECRET-GITHUB-PAT", _line_of(text, '"token": "ghp_')) in found
    # names that only describe a secret, and non-sensitive outputs, are not values
    for needle in ('"password_length"', '"endpoint"', '"username"'):
        assert all(line != _line_of(text, needle) for _, line in found)


def test_terraform_state_that_is_not_json_is_partial() -> None:
    items = _scan("bad.tfstate", "{not json")
    assert len(items) == 1
    assert isinstance(items[0], PartialFailure)


def _notebook() -> str:
    cells = [
        {"cell_type": "markdown", "source": ["# Demo\n", "Load the client.\n"]},
        {
            "cell_type": "code",
            "source": [
                "import client\n",
                f'api_key = "{RANDOM_PASSWORD}"\n',
                "client.login(api_key)",
            ],
            "outputs": [
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": ["logged in\n", f"token={GITHUB}\n"],
                },
                {
                    "output_type": "display_data",
                    "data": {"image/png": base64.b64encode(b"\x89PNG" * 40).decode()},
                },
            ],
        },
    ]
    return json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )


def test_notebook_cells_and_outputs_at_json_lines() -> None:
    text = _notebook()
    assert _rule_lines(_findings("analysis.ipynb", text)) == [
        ("SECRET-GENERIC-API-KEY", _line_of(text, "api_key = ")),
        ("SECRET-GITHUB-PAT", _line_of(text, "token=ghp_")),
    ]


def test_structural_rules_are_in_the_catalogue() -> None:
    ids = {rule.id for rule in SecretsScanner().rules()}
    assert {rule.id for rule in STRUCTURAL_RULES} <= ids
