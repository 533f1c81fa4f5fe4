"""Bandit, run in-process on each Python file the engine hands over.

Bandit is an optional extra (``pip install 'secloop[bandit]'``), imported only when this
scanner runs. The file's bytes come from the engine (a directory, an image layer), so
Bandit never re-reads the disk: each file is fed to a fresh ``BanditManager`` through
its per-file parse step. That step is not part of Bandit's documented API, so its
absence (a Bandit release that renamed it) is reported as a clear error, not a crash.
Bandit's own ``# nosec`` handling applies; secloop's inline markers apply on top.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.scan.code.adapters.common import (
    anchor_text,
    evidence_lines,
    normalise_cwes,
    severity_from_word,
)
from secloop.scan.code.python.scanner import MAX_FILE_BYTES, source_text
from secloop.scan.interface import FileContent, FileEntry, Inventory, ScanError, Scanner

__all__ = ["BANDIT_RULE_PREFIX", "BanditScanner", "bandit_available"]

SCANNER_NAME = "bandit"
BANDIT_RULE_PREFIX = "BANDIT-"
_INSTALL_HINT = "install it with: pip install 'secloop[bandit]'"


@cache
def bandit_available() -> bool:
    """Whether Bandit can be imported; looked up once per process, without importing it."""
    return importlib.util.find_spec("bandit") is not None


@cache
def _bandit_config() -> tuple[Any, Any]:
    """Bandit's default configuration and manager module, loaded once (stevedore plugins).

    Bandit logs a warning per file it cannot name as a module and an error per file it
    cannot parse; secloop records the latter in the coverage manifest itself, so
    Bandit's own logger is limited to critical messages.
    """
    stevedore = logging.getLogger("stevedore")
    level = stevedore.level
    # Loading Bandit's plugins also loads its report formatters, some of which need
    # packages secloop does not use (sarif_om); stevedore logs each as an error.
    stevedore.setLevel(logging.CRITICAL)
    try:
        from bandit.core import config, manager  # type: ignore[import-untyped]

        logging.getLogger("bandit").setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return config.BanditConfig(), manager
    finally:
        stevedore.setLevel(level)


@dataclass(frozen=True, slots=True)
class _BanditRun:
    issues: tuple[Any, ...]
    skipped: tuple[str, ...]


def _run_bandit(path: str, data: bytes) -> _BanditRun:
    config, manager = _bandit_config()
    bandit_manager = manager.BanditManager(config, "file", quiet=True)
    parse_file = getattr(bandit_manager, "_parse_file", None)
    if parse_file is None:
        raise ScanError(f"{path}: this Bandit release has no per-file entry point secloop uses")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Bandit's AST visitors use deprecated ast names
        parse_file(path, io.BytesIO(data), [path])
    skipped = tuple(str(reason) for _, reason in bandit_manager.skipped)
    return _BanditRun(issues=tuple(bandit_manager.get_issue_list()), skipped=skipped)


def _more_info(test_id: str) -> tuple[str, ...]:
    from bandit.core import docs_utils

    try:
        return (str(docs_utils.get_url(test_id)),)
    except (KeyError, AttributeError):
        return ()


def _finding(issue: Any, path: str, lines: Sequence[str]) -> Finding:
    test_id = str(issue.test_id)
    start = max(1, int(issue.lineno))
    line_range = [int(n) for n in (issue.linerange or [start])]
    end = max(start, *line_range)
    evidence = evidence_lines(lines, start, end)
    cwes = normalise_cwes(int(getattr(issue.cwe, "id", 0) or 0))
    frameworks: dict[str, tuple[str, ...]] = {"bandit": (test_id,)}
    if cwes:
        frameworks["cwe"] = cwes
    test_name = str(issue.test or test_id).replace("_", " ")
    return Finding(
        kind=FindingKind.CODE,
        rule_id=f"{BANDIT_RULE_PREFIX}{test_id}",
        severity=severity_from_word(issue.severity),
        title=f"Bandit {test_id}: {test_name}",
        message=f"{issue.text} (Bandit confidence: {str(issue.confidence).lower()})",
        location=Location(
            path=path,
            start_line=start,
            end_line=end,
            start_column=int(issue.col_offset or 0) + 1,
        ),
        scanner=SCANNER_NAME,
        anchor=anchor_text(test_id, evidence),
        evidence=evidence or None,
        references=_more_info(test_id),
        frameworks=frameworks,
    )


class BanditScanner(Scanner):
    """Bandit's checks over Python sources, as secloop findings (opt-in: ``--scanners bandit``).

    Stateless: the shared Bandit configuration is read-only after it is built, and each
    file gets its own Bandit manager.
    """

    name = SCANNER_NAME
    kind = FindingKind.CODE
    text_only = True
    default_enabled = False

    def rules(self) -> Sequence[Rule]:
        """None up front: a Bandit test's severity and CWE are known only when it fires,
        so reports describe Bandit rules from their findings."""
        return ()

    def applies_to(self, entry: FileEntry) -> bool:
        """The files the python scanner reads, when Bandit is installed."""
        return entry.name.endswith(".py") and entry.size <= MAX_FILE_BYTES and bandit_available()

    def scan_file(self, content: FileContent) -> Iterable[Finding]:
        path = content.entry.path
        lines = source_text(content).splitlines()  # ScanError for undecodable files
        run = _run_bandit(path, content.data)
        if run.skipped:
            raise ScanError(f"{path}: Bandit could not scan it: {'; '.join(run.skipped)}")
        return [_finding(issue, path, lines) for issue in run.issues]

    def scan_inventory(self, inventory: Inventory) -> Iterable[Finding]:
        """Records, once per scan, that Bandit was asked for but is not installed."""
        if not bandit_available():
            raise ScanError(f"the bandit scanner was selected but Bandit is not installed; "
                            f"{_INSTALL_HINT}")  # fmt: skip
        return ()
