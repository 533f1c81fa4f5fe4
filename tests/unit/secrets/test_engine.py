"""Engine behaviour: positions, masking, fingerprints, overlaps, limits, linear time."""

from __future__ import annotations

import time

import pytest

from secloop.core.finding import FindingKind
from secloop.core.fingerprint import assign_fingerprints
from secloop.scan.secrets import ALL_RULES, SecretEngine, default_engine, mask
from secloop.scan.secrets.engine import secret_accepted
from secloop.scan.secrets.rules import rules_by_id

# FAKE values, built at run time so this file holds no literal token.
GITHUB = "ghp_" + "FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Yf2"
AWS_SECRET = "h9Qv2mZ+Lx8kPz3R/tYw1NcB4dFg6JsAe5UqWo7T"


def test_line_and_column_are_one_based_and_exact() -> None:
    text = f"first line\n\n  token = '{GITHUB}'\n"
    (finding,) = default_engine().scan(text, path="a.py")
    assert finding.rule_id == "SECRET-GITHUB-PAT"
    assert finding.location.start_line == 3
    assert finding.location.start_column == text.splitlines()[2].index("ghp_") + 1
    assert finding.location.end_column == finding.location.start_column + len(GITHUB)
    assert finding.kind is FindingKind.SECRET
    assert finding.scanner == "secret"


def test_no_full_secret_anywhere_in_the_finding() -> None:
    text = f"aws_secret_access_key = {AWS_SECRET}  # again {AWS_SECRET}\ngh = {GITHUB}\n"
    findings = default_engine().scan(text, path="creds.ini")
    assert {f.rule_id for f in findings} == {"SECRET-AWS-SECRET-ACCESS-KEY", "SECRET-GITHUB-PAT"}
    for finding in findings:
        shown = repr(finding)
        assert AWS_SECRET not in shown
        assert GITHUB not in shown
        assert AWS_SECRET[4:12] not in shown
        assert "****" in (finding.evidence or "")


def test_mask_never_shows_more_than_a_quarter() -> None:
    assert mask("abcdefgh") == "ab****"
    assert mask("abc") == "****"
    assert mask(GITHUB) == "ghp_****"


def test_fingerprint_survives_inserted_lines_and_moves() -> None:
    original = f"x = 1\ntoken = {GITHUB}\n"
    shifted = "# new header\n\n\n" + original.replace("x = 1", "x = 2  # edited")
    before = assign_fingerprints(default_engine().scan(original, path="app/settings.py"))
    after = assign_fingerprints(default_engine().scan(shifted, path="app/settings.py"))
    assert before[0].location.start_line != after[0].location.start_line
    assert before[0].fingerprint == after[0].fingerprint
    assert before[0].anchor.startswith("SECRET-GITHUB-PAT:sha256:")


def test_vendor_rule_wins_over_generic_assignment() -> None:
    (finding,) = default_engine().scan(f'api_token = "{GITHUB}"\n')
    assert finding.rule_id == "SECRET-GITHUB-PAT"


def test_private_key_finding_spans_the_block() -> None:
    body = "\n".join(
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8" for _ in range(4)
    )
    text = f"intro\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    (finding,) = default_engine().scan(text, path="key.pem")
    assert finding.rule_id == "SECRET-PRIVATE-KEY"
    assert (finding.location.start_line, finding.location.end_line) == (2, 7)
    assert finding.evidence == "-----BEGIN PRIVATE KEY-----"
    assert "MIIE" not in repr(finding).replace("MIIE****", "")


def test_crlf_and_unicode_line_breaks_count_like_splitlines() -> None:
    text = f"a\r\nb\u2028c\r\ntoken = {GITHUB}\r\n"
    (finding,) = default_engine().scan(text)
    assert finding.location.start_line == text.splitlines().index(f"token = {GITHUB}") + 1


def test_long_lines_are_scanned_only_up_to_the_cap() -> None:
    engine = SecretEngine(max_line_chars=1000)
    early = "a" * 10 + f" {GITHUB} " + "b" * 5000
    late = "c" * 5000 + f" {GITHUB}"
    assert [f.rule_id for f in engine.scan(early)] == ["SECRET-GITHUB-PAT"]
    assert engine.scan(late) == []
    assert engine.scan(f"{late}\ntoken {GITHUB}")[0].location.start_line == 2


def test_rule_filters_reject_placeholders_and_references() -> None:
    table = rules_by_id()
    assert not secret_accepted(table["SECRET-GITHUB-PAT"], "ghp_" + "x" * 36)
    assert not secret_accepted(table["SECRET-GENERIC-PASSWORD"], "${DB_PASSWORD}")
    assert not secret_accepted(table["SECRET-GENERIC-PASSWORD"], "changeme123")
    assert secret_accepted(table["SECRET-GITHUB-PAT"], GITHUB)


def test_rule_table_is_consistent() -> None:
    table = rules_by_id()
    assert len(table) == len(ALL_RULES) >= 60
    always = [r.id for r in ALL_RULES if not r.keywords]
    assert len(always) <= 3, always
    for rule in ALL_RULES:
        core = rule.to_rule()
        assert core.kind is FindingKind.SECRET
        assert core.id == rule.id
        assert core.remediation
        assert core.description
        assert all(k == k.lower() for k in rule.keywords)


def _adversarial_inputs(keywords: tuple[str, ...]) -> list[str]:
    seed = " ".join(keywords) or "x"
    return [
        (seed + "=") * 4000,
        seed + " " + "a" * 60_000,
        seed + ("-----BEGIN RSA PRIVATE KEY-----\n" * 3000),
        seed + ("A1b2" * 15_000),
        seed + ("eyJ" + "a" * 20 + ".") * 2000,
        seed + ("x://u:" * 10_000),
        seed + ("password = '" * 5000),
    ]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_runs_in_bounded_time_on_adversarial_input(rule: object) -> None:
    """Each rule's regex on ~60-100 KB crafted against it stays well under a second."""
    engine = SecretEngine([rule])  # type: ignore[list-item]
    for text in _adversarial_inputs(rule.keywords):  # type: ignore[attr-defined]
        started = time.perf_counter()
        engine.scan(text)
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "line",
    [
        "      secret_detection: gl-secret-detection-report.json",
        'API_KEY_FILE = "/run/secrets/api.key"',
        "token_path: config/token.yaml",
    ],
)
def test_file_names_are_references_not_secrets(line: str) -> None:
    from secloop.scan.secrets.filters import looks_like_reference

    value = line.rsplit(maxsplit=1)[-1].strip('"')
    assert looks_like_reference(value)
    findings = default_engine().scan(line + "\n", path="ci.yml")
    assert not [f for f in findings if f.rule_id.startswith("SECRET-GENERIC")]
