"""Agreement with Bandit on its own example corpus, per Bandit test id we have a peer for.

The measurement lives in bench/accuracy_sast.py (which also writes
docs/accuracy/sast.md): Bandit runs in-process on every example, its issues are
grouped under the secloop rule that names the Bandit id as a peer, and secloop's own
rules (alone, and with the Bandit adapter after de-duplication) are compared file by
file. These tests fail when:

* Bandit's own run stops matching the corpus's expected.json (the comparison would be
  against the wrong numbers);
* own rules + adapter report fewer issues than Bandit anywhere, except the documented
  cases in ``COMBINED_REASONS``;
* an own rule drops below its measured agreement floor, or differs from Bandit on a
  file without a documented reason (a new miss must be fixed or explained);
* a file Bandit finds clean gets a secloop finding, or an example fails to scan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.accuracy_sast import COMBINED_REASONS, Comparison, compare, render

from secloop.scan.interface import ScanError
from tests.conftest import corpus_path
from tests.unit.code.support import scan_file

#: Own-rule agreement floors (Bandit issues matched / Bandit issues), as measured.
#: Low ones are by design: see REASONS in bench/accuracy_sast.py.
FLOORS = {
    "PY-BIND-001": 1.0, "PY-CIPHER-001": 1.0, "PY-CIPHER-002": 1.0, "PY-DEBUG-001": 1.0,
    "PY-CRYPT-001 + PY-HASH-001": 1.0, "PY-DESER-001": 1.0, "PY-DESER-002": 1.0,
    "PY-HTTP-001": 1.0, "PY-TLS-001": 1.0, "PY-TLS-002": 1.0, "PY-TMP-001": 1.0,
    "PY-TLS-004": 0.86, "PY-JINJA-001": 0.8, "PY-XXE-001": 0.68, "PY-DESER-003": 0.66,
    "PY-SQLI-001": 0.53, "PY-TAR-001": 0.4, "PY-CMDI-001": 0.03, "PY-CMDI-002": 0.04,
    "PY-CODE-001": 0.0, "PY-CODE-002": 0.0, "PY-RAND-001": 0.0,
}  # fmt: skip
#: Files Bandit finds nothing in: secloop must stay silent too.
CLEAN_FILES = ("okay.py", "init-py-test/subdirectory-okay.py", "mark_safe_secure.py",
               "pycryptodome.py", "trojansource_latin1.py")  # fmt: skip


def _examples() -> Path:
    return corpus_path("bandit-examples", "examples")


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    pytest.importorskip("bandit")
    return compare(_examples())


def test_bandit_run_matches_expected_json(comparison: Comparison) -> None:
    checked = [f for f in comparison.files if f.expected_total is not None and f.error is None]
    assert len(checked) > 70
    assert {f.file: f.bandit_total for f in checked} == {f.file: f.expected_total for f in checked}


def test_own_rules_and_adapter_report_at_least_what_bandit_does(comparison: Comparison) -> None:
    short = {f"{row.file}:{row.rule_id}" for row in comparison.combined_shortfalls()}
    assert short == set(COMBINED_REASONS)


def test_every_own_rule_difference_has_a_reason(comparison: Comparison) -> None:
    assert comparison.unexplained() == []


def test_agreement_per_bandit_peer_meets_floor(comparison: Comparison) -> None:
    per_rule = comparison.per_rule()
    assert set(per_rule) == set(FLOORS)
    for rule_id, (bandit, own, _) in sorted(per_rule.items()):
        assert own / bandit >= FLOORS[rule_id], f"{rule_id}: {own}/{bandit}"


def test_checked_in_page_is_current(comparison: Comparison) -> None:
    page = Path(__file__).resolve().parents[3] / "docs" / "accuracy" / "sast.md"
    assert page.read_text(encoding="utf-8") == render(comparison), (
        "docs/accuracy/sast.md is stale: run .venv/bin/python -m bench.accuracy_sast"
    )


@pytest.mark.parametrize("name", CLEAN_FILES)
def test_clean_examples_stay_clean(name: str) -> None:
    examples = _examples()
    assert scan_file(examples / name, examples) == []


def test_every_example_scans_or_fails_cleanly() -> None:
    examples = _examples()
    failed: dict[str, str] = {}
    for path in sorted(examples.rglob("*.py")):
        try:
            scan_file(path, examples)
        except ScanError as err:
            failed[path.name] = str(err)
    assert all(err.startswith(name) for name, err in failed.items()), failed
    assert {"nonsense.py", "nonsense2.py"} <= set(failed)
    # new_candidates-none.py holds functions with comments but no body: not Python
    assert set(failed) <= {"nonsense.py", "nonsense2.py", "new_candidates-none.py"}
