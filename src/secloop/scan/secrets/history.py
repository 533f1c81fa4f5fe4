"""Secrets in git history: every line any commit *added*, read by streaming ``git log -p``.

A secret deleted in a later commit is still in the repository (and in every clone),
so the working tree is not enough. Steps (numbered ``# (n)`` in the code):

1. Run git itself (no git library to trust with a corrupt repository) with
   ``log -p --no-color --unified=0 --no-ext-diff --no-textconv``: zero context lines,
   so only added and removed lines come out; no external diff drivers or text
   conversion filters, which a hostile ``.gitattributes`` could point at a program.
   A ref given by the user may not start with ``-`` (it would be read as an option).
2. Read its output line by line with a bounded ``readline``: a line longer than
   ``max_line_bytes`` keeps its head, the tail is discarded and counted. Memory is one
   file's added lines in one commit (flushed in ``max_file_chars`` chunks), never the
   history.
3. ``Binary files ... differ`` (git's summary of a binary change) is skipped and counted.
4. Each file's added lines are scanned as one text (contiguous additions keep multi-line
   secrets such as PEM blocks whole); findings are moved to the line in that commit.
5. Findings are deduplicated by (rule, secret hash) across the history. ``git log``
   walks newest first, so the last sighting is the first commit that added the secret:
   that one is reported, with how many commits added it.
"""

from __future__ import annotations

import codecs
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from secloop.core.finding import Finding
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.result import Coverage, Failed, Scanned, ScanResult, Skipped, SkipReason
from secloop.core.target import Target, TargetKind
from secloop.scan.interface import ScanError
from secloop.scan.secrets.engine import SecretEngine, default_engine

if TYPE_CHECKING:
    from secloop.scan.secrets.verify import VerificationService

__all__ = [
    "Commit",
    "GitHistoryError",
    "GitScan",
    "GitScanOptions",
    "git_log_argv",
    "history_result",
    "scan_git_history",
]

_COMMIT_MARK = b"\x1esecloop-commit\x00"
_FORMAT = "--format=%x1esecloop-commit%x00%H%x00%an%x00%aI"
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_BINARY = re.compile(rb"^Binary files (?:a/.*|/dev/null) and (?:b/(.*)|/dev/null) differ$")
_ENGINE_SUFFIX = " committed in the file"
#: Skipped binary diffs listed one by one (beyond this they are only counted).
MAX_LISTED_BINARIES = 1000


class GitHistoryError(ScanError):
    """git is missing, the path is not a repository, or git failed before any commit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GitScanOptions:
    """What to walk and the bounds on reading it (units in the names)."""

    repo: Path
    since: str | None = None
    branch: str | None = None  # None: every ref (``--all``)
    max_commits: int | None = None
    max_line_bytes: int = 64 * 1024
    max_file_chars: int = 4 * 1024 * 1024
    timeout_seconds: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    sha: str
    author: str
    date: str


@dataclass(slots=True)
class GitScan:
    """The outcome: first sightings, and counts of what was read and skipped."""

    findings: list[Finding] = field(default_factory=list)
    commits: int = 0
    files: int = 0
    added_lines: int = 0
    binary_skipped: int = 0
    binary_listed: list[str] = field(default_factory=list)
    truncated_lines: int = 0
    error: str | None = None
    seconds: float = 0.0


def git_log_argv(options: GitScanOptions) -> list[str]:
    """Step (1): the git command line."""
    argv = ["git", "-C", str(options.repo), "-c", "core.quotepath=off", "log", "-p"]
    argv += ["--no-color", "--unified=0", "--no-ext-diff", "--no-textconv", _FORMAT]
    if options.since:
        argv.append(f"--since={options.since}")
    if options.max_commits is not None:
        argv.append(f"--max-count={options.max_commits}")
    if options.branch:
        if options.branch.startswith("-"):
            raise GitHistoryError(f"invalid branch or ref {options.branch!r}")
        argv.append(options.branch)
    else:
        argv.append("--all")
    argv.append("--")
    return argv


def _bounded_lines(stream: IO[bytes], limit: int, scan: GitScan) -> Iterator[bytes]:
    """Step (2): lines without their newline, each at most ``limit`` bytes."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            scan.truncated_lines += 1
            rest = line
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(limit)
            line = line[:limit]
        yield line.rstrip(b"\n")


def _unquote(raw: bytes) -> str:
    """A path as git prints it: C-quoted when it holds special characters."""
    if raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2:
        raw = codecs.escape_decode(raw[1:-1])[0]
    return raw.decode("utf-8", errors="replace")


class _Collector:
    """Steps (3) to (5): turns the diff stream into deduplicated findings."""

    def __init__(
        self,
        engine: SecretEngine,
        options: GitScanOptions,
        scan: GitScan,
        verification: VerificationService | None = None,
    ) -> None:
        self._engine = engine
        self._verification = verification
        self._options = options
        self._scan = scan
        self._commit: Commit | None = None
        self._path: str | None = None
        self._line = 0
        self._remaining = 0  # added lines still due in the current hunk
        self._lines: list[str] = []
        self._numbers: list[int] = []
        self._chars = 0
        #: First sightings with their clear secret (for --verify; never reported).
        self._first: dict[tuple[str, str], tuple[Finding, Commit, str]] = {}
        self._sightings: dict[tuple[str, str], int] = {}

    def feed(self, line: bytes) -> None:
        # An added line "++ x" prints as "+++ x": the hunk's count says which it is.
        if self._remaining > 0 and line.startswith(b"+"):
            self._remaining -= 1
            if self._path is not None:
                self._add(line[1:].decode("utf-8", errors="replace"))
        elif line.startswith(_COMMIT_MARK):
            self._flush()
            sha, author, date = [*line[len(_COMMIT_MARK) :].split(b"\0"), b"", b""][:3]
            self._commit = Commit(
                sha=sha.decode("ascii", "replace"),
                author=author.decode("utf-8", "replace"),
                date=date.decode("ascii", "replace"),
            )
            self._scan.commits += 1
            self._remaining = 0
        elif line.startswith(b"+++ "):
            self._flush()
            target = line[4:]
            self._path = None if target == b"/dev/null" else _unquote(target)[2:]
            if self._path is not None:
                self._scan.files += 1
        elif line.startswith(b"@@"):
            hunk = _HUNK.match(line)
            self._line = int(hunk.group(1)) if hunk else 0
            count = hunk.group(2) if hunk else b"0"
            self._remaining = 1 if count is None else int(count)
        elif line.startswith(b"diff --git "):
            self._flush()
            self._path = None
            self._remaining = 0
        elif line.startswith(b"Binary files "):
            self._binary(line)

    def _add(self, text: str) -> None:
        self._lines.append(text)
        self._numbers.append(self._line)
        self._line += 1
        self._chars += len(text) + 1
        self._scan.added_lines += 1
        if self._chars >= self._options.max_file_chars:
            self._flush()

    def _binary(self, line: bytes) -> None:
        match = _BINARY.match(line)
        if match is None or match.group(1) is None:
            return  # a deleted binary file adds nothing
        self._scan.binary_skipped += 1
        if len(self._scan.binary_listed) < MAX_LISTED_BINARIES and self._commit is not None:
            self._scan.binary_listed.append(f"{self._commit.sha[:12]}:{_unquote(match.group(1))}")

    def _flush(self) -> None:
        """Step (4): scan one file's added lines of one commit."""
        lines, numbers = self._lines, self._numbers
        self._lines, self._numbers, self._chars = [], [], 0
        if not lines or self._path is None or self._commit is None:
            return
        for finding, secret in self._engine.scan_secrets("\n".join(lines), path=self._path):
            self._record(_moved(finding, numbers), self._commit, secret)

    def _record(self, finding: Finding, commit: Commit, secret: str) -> None:
        """Step (5): the last sighting in newest-first order is the first commit."""
        key = (finding.rule_id, finding.anchor)
        self._first[key] = (finding, commit, secret)
        self._sightings[key] = self._sightings.get(key, 0) + 1

    def finish(self) -> list[Finding]:
        self._flush()
        pairs = [
            (_with_commit(finding, commit, self._sightings[key]), secret)
            for key, (finding, commit, secret) in self._first.items()
        ]
        if self._verification is not None:
            return self._verification.verify(pairs)
        return [finding for finding, _ in pairs]


def _moved(finding: Finding, numbers: list[int]) -> Finding:
    """A finding in the joined added lines, moved to its line in the commit's file."""
    location = finding.location
    start = numbers[(location.start_line or 1) - 1]
    end = numbers[(location.end_line or location.start_line or 1) - 1]
    return replace(finding, location=replace(location, start_line=start, end_line=max(start, end)))


def _with_commit(finding: Finding, commit: Commit, sightings: int) -> Finding:
    """Commit, author and date in the message: the core Finding has no field for them yet."""
    base = finding.message.removesuffix(_ENGINE_SUFFIX)
    more = f"; added again in {sightings - 1} later commit(s)" if sightings > 1 else ""
    message = f"{base} added in commit {commit.sha} by {commit.author} on {commit.date}{more}"
    return replace(finding, message=message)


def scan_git_history(
    options: GitScanOptions,
    engine: SecretEngine | None = None,
    *,
    verification: VerificationService | None = None,
) -> GitScan:
    """Walk the history and return first sightings; GitHistoryError if git cannot start
    or fails before the first commit (a failure later keeps what was read, in ``error``).
    With ``verification`` each distinct secret is checked with its provider once."""
    started = time.perf_counter()
    argv = git_log_argv(options)
    scan = GitScan()
    collector = _Collector(engine or default_engine(), options, scan, verification)
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr)  # noqa: S603
        except FileNotFoundError:
            raise GitHistoryError("git is not installed or not on PATH") from None
        stdout = process.stdout
        if stdout is None:  # pragma: no cover - stdout=PIPE always gives a stream
            raise GitHistoryError("git output could not be read")
        try:
            for line in _bounded_lines(stdout, options.max_line_bytes, scan):
                collector.feed(line)
                if _timed_out(options, started):
                    process.kill()
                    scan.error = f"stopped after {options.timeout_seconds} s (time limit)"
                    break
        finally:
            stdout.close()
            code = process.wait()
        stderr.seek(0)
        message = stderr.read(4096).decode("utf-8", "replace").strip()
    if code != 0 and scan.error is None:
        reason = message.splitlines()[0] if message else f"git exited with status {code}"
        if scan.commits == 0:
            raise GitHistoryError(f"{options.repo}: cannot read git history: {reason}")
        scan.error = reason
    scan.findings = collector.finish()
    scan.seconds = time.perf_counter() - started
    return scan


def _timed_out(options: GitScanOptions, started: float) -> bool:
    limit = options.timeout_seconds
    return limit is not None and time.perf_counter() - started > limit


def history_result(
    options: GitScanOptions,
    scan: GitScan,
    *,
    started_at: datetime,
    finished_at: datetime,
    engine: SecretEngine | None = None,
) -> ScanResult:
    """The scan as a standard ScanResult, so every report format, the baseline, the
    ignore file and the gate apply unchanged. The coverage manifest names the history
    walked, each skipped binary diff (``sha:path``, the first 1,000) and a git failure."""
    from secloop import __version__

    engine = engine or default_engine()
    findings = tuple(assign_fingerprints(scan.findings))
    ref = options.branch or "--all"
    coverage: list[Coverage] = [
        Scanned(path=f"git log {ref} ({scan.commits} commits, {scan.files} files)", by=("secret",))
    ]
    coverage += [
        Skipped(path=item, reason=SkipReason.BINARY, detail="binary diff")
        for item in scan.binary_listed
    ]
    if scan.error is not None:
        coverage.append(Failed(path="git log", reason=scan.error, by="secret"))
    warnings = []
    if scan.binary_skipped:
        warnings.append(f"{scan.binary_skipped} binary diff(s) in history skipped")
    if scan.truncated_lines:
        warnings.append(
            f"{scan.truncated_lines} added line(s) longer than {options.max_line_bytes} "
            "bytes scanned only up to that length"
        )
    fired = {f.rule_id for f in findings}
    catalogue = {r.id: r.to_rule() for r in engine.rules if r.id in fired}
    return ScanResult(
        target=Target(kind=TargetKind.GIT_REPOSITORY, name=str(options.repo)),
        started_at=started_at,
        finished_at=finished_at,
        tool_version=__version__,
        scanners=("secret",),
        findings=findings,
        rules=dict(sorted(catalogue.items())),
        coverage=tuple(coverage),
        timings={"history_seconds": round(scan.seconds, 6)},
        warnings=tuple(warnings),
    )
