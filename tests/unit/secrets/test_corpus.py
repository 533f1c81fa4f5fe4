"""Accuracy against the gitleaks and detect-secrets test cases (../shared/corpus).

Measured on this slice (printed with ``pytest -s``), over the gitleaks rules that a
secloop rule names as its peer, counting a case as detected when one of those secloop
rules reports it:

* gitleaks, all cases: recall 0.973 (3,073 / 3,159), false-positive precision 0.917.
* gitleaks without the documented exceptions below: recall >= 0.99, precision >= 0.99.
* detect-secrets, mapped plugins except KeywordDetector: precision on their negatives
  0.98; recall 0.66, because their positives include placeholders secloop rejects on
  purpose (``AKIAZZZZZZZZZZZZZZZZ``, ``SKxxxx…``, ``super secret private key here``).

The floors asserted below sit just under the measured values so that a regression
fails the test while the numbers stay honest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from secloop.scan.secrets import ALL_RULES, default_engine
from tests.conftest import corpus_path

#: gitleaks rule -> why its cases are not held to the floor. Each is a deliberate choice.
GITLEAKS_EXCEPTIONS = {
    "gcp-api-key": "its negatives are real-format keys allowlisted by value; secloop has no"
    " such list and reports any well-formed key",
    "sendgrid-api-token": "generated positives lack the SG.<22>.<43> structure of real keys",
    "jwt": "generated positives do not decode to a JSON header; secloop checks the structure",
    "vault-service-token": "legacy 's.' Vault tokens are not covered (too noisy without context)",
    "generic-api-key": "positives include vendor tokens, reported under the vendor's rule",
    "mailchimp-api-key": "the one negative is a well-formed key in an SDK call",
}
GITLEAKS_RECALL_FLOOR = 0.99
GITLEAKS_PRECISION_FLOOR = 0.99
GITLEAKS_ALL_RECALL_FLOOR = 0.96
GITLEAKS_ALL_PRECISION_FLOOR = 0.90
DETECT_SECRETS_PRECISION_FLOOR = 0.95
DETECT_SECRETS_RECALL_FLOOR = 0.60


@dataclass
class Tally:
    positives: int = 0
    detected: int = 0
    negatives: int = 0
    flagged: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        return 1 - self.flagged / self.negatives if self.negatives else 1.0

    def add(self, other: Tally) -> None:
        self.positives += other.positives
        self.detected += other.detected
        self.negatives += other.negatives
        self.flagged += other.flagged


def _peers(tool: str) -> dict[str, set[str]]:
    table: dict[str, set[str]] = defaultdict(set)
    for rule in ALL_RULES:
        if tool in rule.peers:
            table[rule.peers[tool]].add(rule.id)
    return table


def _fires(text: str, rule_ids: set[str]) -> bool:
    return any(f.rule_id in rule_ids for f in default_engine().scan(text))


def _cases(record: dict[str, object], *keys: str) -> list[str]:
    out: list[str] = []
    for key in keys:
        value = record.get(key) or []
        if isinstance(value, dict):
            out.extend(str(v) for v in value.values())
        elif isinstance(value, list):
            out.extend(str(v) for v in value)
    return out


def _tally(positives: Iterable[str], negatives: Iterable[str], rule_ids: set[str]) -> Tally:
    tally = Tally()
    for text in positives:
        tally.positives += 1
        if _fires(text, rule_ids):
            tally.detected += 1
        else:
            tally.misses.append(text[:80])
    for text in negatives:
        tally.negatives += 1
        tally.flagged += _fires(text, rule_ids)
    return tally


def _gitleaks_tallies() -> dict[str, Tally]:
    records = json.loads(corpus_path("gitleaks", "rule-cases.json").read_text(encoding="utf-8"))
    peers = _peers("gitleaks")
    tallies: dict[str, Tally] = {}
    for record in records:
        rule_ids = peers.get(record["rule_id"])
        if rule_ids is None:
            continue
        positives = _cases(
            record, "true_positives", "true_positives_generated", "true_positives_with_paths"
        )
        negatives = _cases(
            record, "false_positives", "false_positives_generated", "false_positives_with_paths"
        )
        tallies[record["rule_id"]] = _tally(positives, negatives, rule_ids)
    return tallies


def test_gitleaks_recall_and_precision() -> None:
    tallies = _gitleaks_tallies()
    held, everything = Tally(), Tally()
    for rule_id, tally in sorted(tallies.items()):
        everything.add(tally)
        if rule_id not in GITLEAKS_EXCEPTIONS:
            held.add(tally)
        if tally.recall < 1 or tally.precision < 1:
            print(f"gitleaks {rule_id}: recall {tally.recall:.3f} precision {tally.precision:.3f}")
    print(
        f"gitleaks, {len(tallies)} rules: recall {everything.recall:.3f} "
        f"({everything.detected}/{everything.positives}), precision {everything.precision:.3f}; "
        f"without exceptions: recall {held.recall:.3f}, precision {held.precision:.3f}"
    )
    assert len(tallies) >= 90
    assert held.recall >= GITLEAKS_RECALL_FLOOR
    assert held.precision >= GITLEAKS_PRECISION_FLOOR
    assert everything.recall >= GITLEAKS_ALL_RECALL_FLOOR
    assert everything.precision >= GITLEAKS_ALL_PRECISION_FLOOR


def test_detect_secrets_precision_and_recall() -> None:
    records = json.loads(
        corpus_path("detect-secrets", "plugin-cases.json").read_text(encoding="utf-8")
    )
    peers = _peers("detect-secrets")
    total = Tally()
    for record in records:
        rule_ids = peers.get(record["plugin"])
        if rule_ids is None or record["plugin"] == "KeywordDetector":
            continue
        case = [record["text"]]
        total.add(
            _tally(
                case if record["should_flag"] else [],
                [] if record["should_flag"] else case,
                rule_ids,
            )
        )
    print(f"detect-secrets: recall {total.recall:.3f}, precision {total.precision:.3f}")
    assert total.precision >= DETECT_SECRETS_PRECISION_FLOOR
    assert total.recall >= DETECT_SECRETS_RECALL_FLOOR
