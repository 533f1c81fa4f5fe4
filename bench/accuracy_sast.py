"""SAST accuracy: secloop's Python rules and the Bandit adapter on Bandit's own examples.

Run from the project root (writes docs/accuracy/sast.md and prints a summary)::

    .venv/bin/python -m bench.accuracy_sast

For every file of ``../shared/corpus/bandit-examples/examples``:

1. Bandit 1.9.4 runs in-process with its default configuration (the adapter's own
   entry point), and its issue count is checked against the corpus's
   ``expected.json`` (Bandit's functional-test counts).
2. For each Bandit test id a secloop rule names as a peer (``CodeRule.bandit``), the
   issues are grouped under that secloop rule and compared with
   * secloop's own rules alone, and
   * own rules + Bandit adapter after the peer de-duplication of a real scan
     (:func:`secloop.policy.dedupe.dedupe_peer_findings`): this must report at least
     what Bandit does, file by file and rule by rule.
3. Every file and rule where the own rules alone differ from Bandit is listed with the
   reason (:data:`REASONS`); a difference without a reason is a failure of
   tests/unit/code/test_bandit_corpus.py, which also holds the combined view to Bandit's
   counts and the own rules to the per-rule floors.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from secloop.core.finding import Finding
from secloop.policy.dedupe import dedupe_peer_findings
from secloop.scan.code.adapters.bandit import BanditScanner
from secloop.scan.code.python.rules import ALL_RULES
from secloop.scan.code.python.scanner import PythonCodeScanner
from secloop.scan.interface import FileContent, FileEntry, ScanError

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT.parent / "shared" / "corpus" / "bandit-examples" / "examples"
PAGE = PROJECT / "docs" / "accuracy" / "sast.md"


def _rule_groups() -> dict[str, str]:
    """Bandit test id -> the secloop rule (or rules) that stand for it.

    Rules that share a Bandit id are compared as one group, named ``A + B``: Bandit's
    B324 covers both weak hashlib calls (PY-HASH-001) and weak crypt methods
    (PY-CRYPT-001), so only their sum can be held to Bandit's count.
    """
    group_of = {rule.id: {rule.id} for rule in ALL_RULES}
    owners: dict[str, str] = {}
    for rule in ALL_RULES:
        for bandit_id in rule.bandit:
            other = owners.setdefault(bandit_id, rule.id)
            merged = group_of[other] | group_of[rule.id]
            for member in merged:
                group_of[member] = merged
    return {b: " + ".join(sorted(group_of[r])) for b, r in owners.items()}


#: Bandit test id -> the label of the secloop rule group that stands for it.
RULE_OF_BANDIT_ID: dict[str, str] = _rule_groups()
#: secloop rule id -> its group's label.
GROUP_OF_RULE: dict[str, str] = {
    rule_id: label for label in RULE_OF_BANDIT_ID.values() for rule_id in label.split(" + ")
}

#: Why secloop's own rule reports fewer (or more) than Bandit. Keyed by rule id, or by
#: ``"file:rule id"`` where one file has its own reason. Each is a deliberate design choice.
REASONS: dict[str, str] = {
    "PY-CMDI-001": "ours right: Bandit reports every shell=True call; secloop only a command "
    "that is not a constant (the examples run literals such as 'ls -l')",
    "PY-CMDI-002": "ours right: Bandit reports every os.system/os.popen/popen2 call; secloop "
    "only a command that is not a constant",
    "PY-CODE-001": "ours right: eval of a literal ('1+1') is reported by Bandit, not by secloop",
    "PY-CODE-002": "ours right: exec of a literal string is reported by Bandit, not by secloop",
    "PY-RAND-001": "ours right: Bandit reports every random call; secloop only values used as "
    "a token, password, key or secret (none in the example)",
    "PY-SQLI-001": "ours right: Bandit reports any SQL-looking string built at run time; "
    "secloop only one that reaches execute()/raw()/text() (most examples are never run)",
    "PY-XXE-001": "ours right: parsing a literal document (fromstring('<a/>')) is not "
    "attacker-controlled; Bandit reports the call",
    "PY-DESER-003": "ours right: yaml.load of a literal document is not reported",
    "PY-JINJA-001": "ours right: autoescape from a call whose result is unknown "
    "(autoescape=fake_func()) is not reported",
    "PY-TAR-001": "ours right: an extraction given a members= list (a checking function, "
    "an empty list) is the caller's check; tarfile.extractall() is not a module function",
    "PY-TLS-004": "ours right: pyOpenSSL's SSLv23_METHOD negotiates the best version both "
    "ends support (Bandit reports it); wrap_socket() with no version uses PROTOCOL_TLS",
}


#: Where own rules + the Bandit adapter together report fewer issues than Bandit alone.
COMBINED_REASONS: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One (file, secloop rule) comparison."""

    file: str
    rule_id: str
    bandit_ids: tuple[str, ...]
    bandit: int
    own: int
    combined: int

    @property
    def differs(self) -> bool:
        return self.own != self.bandit

    def reason(self) -> str | None:
        return REASONS.get(f"{self.file}:{self.rule_id}") or REASONS.get(self.rule_id)


@dataclass(frozen=True, slots=True)
class FileResult:
    file: str
    bandit_total: int
    expected_total: int | None
    error: str | None
    rows: tuple[RuleRow, ...]
    unmapped: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Comparison:
    files: tuple[FileResult, ...]

    @property
    def rows(self) -> list[RuleRow]:
        return [row for result in self.files for row in result.rows]

    def per_rule(self) -> dict[str, tuple[int, int, int]]:
        """rule id -> (Bandit issues, own findings up to Bandit's count, combined up to it)."""
        totals: dict[str, tuple[int, int, int]] = {}
        for row in self.rows:
            bandit, own, combined = totals.get(row.rule_id, (0, 0, 0))
            totals[row.rule_id] = (
                bandit + row.bandit,
                own + min(row.own, row.bandit),
                combined + min(row.combined, row.bandit),
            )
        return totals

    def combined_shortfalls(self) -> list[RuleRow]:
        return [row for row in self.rows if row.combined < row.bandit]

    def unexplained(self) -> list[RuleRow]:
        return [row for row in self.rows if row.differs and row.reason() is None]


def expected_totals(examples: Path) -> dict[str, int]:
    """Bandit's functional-test issue count per file, default configuration only."""
    raw = json.loads((examples.parent / "expected.json").read_text(encoding="utf-8"))
    totals: dict[str, int] = {}
    for name, entries in raw.items():
        for entry in entries:
            plain = not entry.get("ignore_nosec") and not entry.get("plugin_config")
            if entry["kind"] == "issue_counts" and plain and not entry.get("context"):
                totals.setdefault(name, int(entry["total_issues"]))
    return totals


def _content(path: Path, examples: Path) -> FileContent:
    data = path.read_bytes()
    entry = FileEntry(path=path.relative_to(examples).as_posix(), size=len(data))
    return FileContent(entry=entry, data=data)


def _bandit_id(finding: Finding) -> str | None:
    ids = finding.frameworks.get("bandit", ())
    return ids[0] if ids else None


def compare_file(path: Path, examples: Path, expected: int | None) -> FileResult:
    name = path.relative_to(examples).as_posix()
    content = _content(path, examples)
    own_scanner, adapter = PythonCodeScanner(), BanditScanner()
    try:
        own = list(own_scanner.scan_file(content))
        peer = list(adapter.scan_file(content))
    except ScanError as err:
        return FileResult(name, 0, expected, str(err), (), {})
    catalogue = {rule.id: rule for rule in own_scanner.rules()}
    combined = dedupe_peer_findings([*own, *peer], catalogue)
    bandit_counts = Counter(_bandit_id(f) for f in peer)
    own_counts = Counter(GROUP_OF_RULE.get(f.rule_id, f.rule_id) for f in own)
    combined_counts = Counter(
        RULE_OF_BANDIT_ID.get(_bandit_id(f) or "", "")
        if f.scanner == "bandit"
        else GROUP_OF_RULE.get(f.rule_id, f.rule_id)
        for f in combined
    )
    by_rule: dict[str, list[str]] = {}
    for bandit_id in sorted(i for i in bandit_counts if i in RULE_OF_BANDIT_ID):
        by_rule.setdefault(RULE_OF_BANDIT_ID[bandit_id], []).append(bandit_id)
    rows = tuple(
        RuleRow(
            file=name,
            rule_id=rule_id,
            bandit_ids=tuple(ids),
            bandit=sum(bandit_counts[i] for i in ids),
            own=own_counts[rule_id],
            combined=combined_counts[rule_id],
        )
        for rule_id, ids in sorted(by_rule.items())
    )
    unmapped = {i: n for i, n in sorted(bandit_counts.items()) if i and i not in RULE_OF_BANDIT_ID}
    return FileResult(name, sum(bandit_counts.values()), expected, None, rows, unmapped)


def compare(examples: Path = EXAMPLES) -> Comparison:
    totals = expected_totals(examples)
    files = sorted(examples.rglob("*.py"))
    results = [
        compare_file(p, examples, totals.get(p.relative_to(examples).as_posix())) for p in files
    ]
    return Comparison(tuple(results))


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def render(comparison: Comparison) -> str:
    per_rule = comparison.per_rule()
    mismatched = [
        f for f in comparison.files if f.expected_total is not None and f.error is None
        and f.bandit_total != f.expected_total
    ]  # fmt: skip
    lines = [
        "# SAST: agreement with Bandit on its example corpus",
        "",
        "<!-- Generated by bench/accuracy_sast.py: do not edit by hand. -->",
        "Generated by `bench/accuracy_sast.py`; regenerate from the project root with",
        "`.venv/bin/python -m bench.accuracy_sast` (it rewrites this page).",
        "tests/unit/code/test_bandit_corpus.py fails when any figure below regresses.",
        "",
        f"Corpus: `../shared/corpus/bandit-examples/examples` ({len(comparison.files)} files),"
        " Bandit 1.9.4 in-process with its default configuration.",
        f"Files whose Bandit issue count differs from `expected.json`: {len(mismatched)}"
        + (" (" + ", ".join(f.file for f in mismatched) + ")" if mismatched else "")
        + ".",
        "",
        "**Own** counts secloop's own rules alone, **combined** own rules plus the Bandit",
        "adapter after peer de-duplication (`secloop scan --scanners python,bandit`). Counts",
        "are capped at Bandit's per file, so extra findings never hide a miss.",
        "",
        "## Per secloop rule",
        "",
    ]
    peers = {
        label: ", ".join(sorted(b for b, owner in RULE_OF_BANDIT_ID.items() if owner == label))
        for label in set(RULE_OF_BANDIT_ID.values())
    }
    lines += _table(
        ("rule", "Bandit ids", "Bandit issues", "own", "own agreement", "combined"),
        (
            (rule_id, peers[rule_id], bandit, own, f"{own / bandit:.2f}", combined)
            for rule_id, (bandit, own, combined) in sorted(per_rule.items())
        ),
    )
    shortfalls = comparison.combined_shortfalls()
    lines += ["", f"Combined view below Bandit's count: {len(shortfalls)} file/rule pairs.", ""]
    lines += [
        f"- `{row.file}` {row.rule_id} ({row.combined} of {row.bandit}): "
        + COMBINED_REASONS.get(f"{row.file}:{row.rule_id}", "**unexplained**")
        for row in shortfalls
    ]
    lines += [
        "",
        "## Differences of the own rules, with reasons",
        "",
    ]
    lines += _table(
        ("file", "rule", "Bandit", "own", "reason"),
        (
            (row.file, row.rule_id, row.bandit, row.own, row.reason() or "**unexplained**")
            for row in comparison.rows
            if row.differs
        ),
    )
    unmapped: Counter[str] = Counter()
    for result in comparison.files:
        unmapped.update(result.unmapped)
    lines += [
        "",
        "## Bandit tests without a secloop rule (reported through the adapter only)",
        "",
        ", ".join(f"{test_id} ({count})" for test_id, count in sorted(unmapped.items())),
        "",
        "## Files that do not parse",
        "",
    ]
    lines += [f"- `{f.file}`: {f.error}" for f in comparison.files if f.error]
    return "\n".join(lines) + "\n"


def main() -> int:
    if not EXAMPLES.exists():
        print(f"corpus not found at {EXAMPLES}", file=sys.stderr)
        return 2
    comparison = compare()
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(render(comparison), encoding="utf-8")
    for rule_id, (bandit, own, combined) in sorted(comparison.per_rule().items()):
        print(f"{rule_id:14} bandit={bandit:3} own={own:3} combined={combined:3}")
    print(f"combined shortfalls: {len(comparison.combined_shortfalls())}, "
          f"unexplained differences: {len(comparison.unexplained())}; wrote {PAGE}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
