"""Semgrep, run as an executable with local rule files only.

Semgrep is not a Python dependency of secloop: the ``semgrep`` executable is used when
it is on ``PATH`` (or given). Rules come only from local paths (``SECLOOP_SEMGREP_RULES``,
``os.pathsep``-separated, else ``.semgrep/`` in the working directory): a registry
shorthand (``p/python``, ``auto``) or a URL is refused, because it would send the
code's metadata to a network service and make results depend on a remote rule set.
Every run passes ``--metrics=off`` and ``--disable-version-check`` for the same reason.

Semgrep starts slowly (about a second, plus parsing its rules), so it runs once per
scan, not once per file: ``scan_file`` only accepts the file for the coverage manifest,
and ``scan_artifact`` (the engine's once-per-scan hook) copies every accepted file,
read through the artifact and so within its limits, to one private temporary
directory under its relative path (so rules' ``paths:`` filters still apply) and runs
Semgrep over that file list. The list is cut into batches of at most
:data:`MAX_BATCH_FILES` files and :data:`MAX_BATCH_ARGV_CHARS` characters of arguments,
so the command line stays far below the system's limit; each batch has the timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.scan.code.adapters.common import (
    anchor_text,
    evidence_lines,
    normalise_cwes,
    severity_from_word,
)
from secloop.scan.interface import (
    MIB,
    Artifact,
    FileContent,
    FileEntry,
    Inventory,
    PartialFailure,
    ScanError,
    Scanner,
)

__all__ = [
    "MAX_BATCH_ARGV_CHARS",
    "MAX_BATCH_FILES",
    "RULES_ENV",
    "SEMGREP_RULE_PREFIX",
    "SemgrepScanner",
    "batches",
    "parse_semgrep_output",
]

SCANNER_NAME = "semgrep"
SEMGREP_RULE_PREFIX = "SEMGREP-"
RULES_ENV = "SECLOOP_SEMGREP_RULES"
DEFAULT_RULES_DIR = ".semgrep"
#: Source files Semgrep's common rules target; others are not worth a Semgrep start-up.
SOURCE_SUFFIXES = frozenset(
    {".py", ".js", ".jsx", ".ts", ".tsx", ".go", ".java", ".rb", ".php", ".cs", ".kt", ".scala"}
)
_MAX_FILE_BYTES = 2 * MIB
_MAX_OUTPUT_BYTES = 64 * MIB
_REMOTE_PREFIXES = ("p/", "r/", "s/", "http://", "https://", "auto", "registry")
_NO_LOGIN_TEXT = "requires login"
#: Batch bounds: Linux allows about 2 MiB of arguments; stay well below on every system.
MAX_BATCH_FILES = 500
MAX_BATCH_ARGV_CHARS = 64_000


@dataclass(frozen=True, slots=True)
class _Setup:
    executable: str
    configs: tuple[Path, ...]


def _local_rule_paths(raw: Sequence[str]) -> tuple[tuple[Path, ...], str | None]:
    """Existing local rule paths, or the reason none can be used."""
    paths: list[Path] = []
    for item in raw:
        if item.startswith(_REMOTE_PREFIXES):
            return (), f"semgrep rules must be local paths, not {item!r}"
        path = Path(item)
        if not path.exists():
            return (), f"semgrep rules {item!r} do not exist"
        paths.append(path.resolve())
    if not paths:
        return (), (
            f"no semgrep rules: set {RULES_ENV} to local rule files or directories, "
            f"or create {DEFAULT_RULES_DIR}/"
        )
    return tuple(paths), None


def _rule_texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str))
    return ()


def _frameworks(check_id: str, metadata: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    frameworks: dict[str, tuple[str, ...]] = {"semgrep": (check_id,)}
    if cwes := normalise_cwes(metadata.get("cwe")):
        frameworks["cwe"] = cwes
    if owasp := _rule_texts(metadata.get("owasp")):
        frameworks["owasp"] = owasp
    return frameworks


def _position(value: object) -> tuple[int, int | None]:
    if not isinstance(value, Mapping):
        return 1, None
    line = value.get("line")
    col = value.get("col")
    return (
        line if isinstance(line, int) and line >= 1 else 1,
        col if isinstance(col, int) and col >= 1 else None,
    )


def _result_finding(item: Mapping[str, object], lines: Sequence[str] | None) -> Finding | None:
    check_id, path = item.get("check_id"), item.get("path")
    extra = item.get("extra")
    if not isinstance(check_id, str) or not isinstance(path, str):
        return None
    extra = extra if isinstance(extra, Mapping) else {}
    metadata = extra.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    start, start_col = _position(item.get("start"))
    end, end_col = _position(item.get("end"))
    end = max(end, start)
    shown = extra.get("lines")
    evidence = evidence_lines(lines, start, end) if lines is not None else ""
    if not evidence and isinstance(shown, str) and shown.strip() != _NO_LOGIN_TEXT:
        evidence = shown.strip()
    references = _rule_texts(metadata.get("references")) + _rule_texts(
        metadata.get("source-rule-url")
    )
    message = extra.get("message")
    return Finding(
        kind=FindingKind.CODE,
        rule_id=f"{SEMGREP_RULE_PREFIX}{check_id}",
        severity=severity_from_word(extra.get("severity")),
        title=f"Semgrep {check_id.rsplit('.', 1)[-1]}",
        message=" ".join(str(message).split()) if message else check_id,
        location=Location(
            path=PurePosixPath(path).as_posix(),
            start_line=start,
            end_line=end,
            start_column=start_col,
            end_column=end_col,
        ),
        scanner=SCANNER_NAME,
        anchor=anchor_text(check_id, evidence or f"line:{start}"),
        evidence=evidence or None,
        references=tuple(dict.fromkeys(references)),
        frameworks=_frameworks(check_id, metadata),
    )


def parse_semgrep_output(
    document: object, *, lines: Sequence[str] | None = None
) -> tuple[list[Finding], list[str]]:
    """Findings and error messages from ``semgrep --json`` output.

    ``lines`` is the scanned file's source, used for evidence because Semgrep shows
    ``requires login`` instead of the matched lines when not logged in. Malformed
    results are skipped, never fatal: one odd rule must not hide the others.
    """
    if not isinstance(document, Mapping):
        raise ScanError("semgrep output is not a JSON object")
    results = document.get("results")
    findings = [
        finding
        for item in (results if isinstance(results, list) else [])
        if isinstance(item, Mapping) and (finding := _result_finding(item, lines)) is not None
    ]
    errors = document.get("errors")
    messages = [
        " ".join(str(error.get("message") or error.get("type") or error).split())
        for error in (errors if isinstance(errors, list) else [])
        if isinstance(error, Mapping) and str(error.get("level", "error")).lower() == "error"
    ]
    return findings, messages


class SemgrepScanner(Scanner):
    """Semgrep with local rules over source files (opt-in: ``--scanners semgrep``).

    Skipped, with the reason recorded once per scan in the coverage manifest, when the
    executable or local rules are missing.
    """

    name = SCANNER_NAME
    kind = FindingKind.CODE
    text_only = True
    default_enabled = False

    def __init__(
        self,
        *,
        executable: str | None = None,
        rules: Sequence[str] | None = None,
        timeout_seconds: float = 120.0,
    ) -> None:
        self._executable = executable
        self._rules = None if rules is None else tuple(rules)
        self._timeout = timeout_seconds

    def _setup(self) -> _Setup | str:
        """What to run, or why Semgrep cannot run; read from the environment each time
        so that one registry instance follows the process's current settings."""
        executable = self._executable or shutil.which("semgrep")
        if executable is None:
            return "the semgrep executable is not installed (not found on PATH)"
        raw = self._rules
        if raw is None:
            env = os.environ.get(RULES_ENV, "")
            raw = tuple(p for p in env.split(os.pathsep) if p)
            if not raw and Path(DEFAULT_RULES_DIR).is_dir():
                raw = (DEFAULT_RULES_DIR,)
        configs, reason = _local_rule_paths(raw)
        return reason if reason is not None else _Setup(executable, configs)

    def rules(self) -> Sequence[Rule]:
        """None up front: rules live in the user's rule files."""
        return ()

    def applies_to(self, entry: FileEntry) -> bool:
        suffix = PurePosixPath(entry.name).suffix.lower()
        return (
            suffix in SOURCE_SUFFIXES
            and entry.size <= _MAX_FILE_BYTES
            and isinstance(self._setup(), _Setup)
        )

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        """Nothing per file: accepted files are scanned together in :meth:`scan_artifact`."""
        return ()

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterable[Finding | PartialFailure]:
        """One Semgrep run per batch over every accepted file of the artifact."""
        setup = self._setup()
        if isinstance(setup, str):
            return []  # recorded once by scan_inventory
        results: list[Finding | PartialFailure] = []
        with tempfile.TemporaryDirectory(prefix="secloop-semgrep-") as temp:
            staged, problems = _stage(artifact, self.applies_to, Path(temp))
            results += problems
            for batch in batches(sorted(staged)):
                results += self._scan_batch(setup, batch, staged, cwd=Path(temp))
        return results

    def _scan_batch(
        self, setup: _Setup, batch: Sequence[str], staged: Mapping[str, _Staged], *, cwd: Path
    ) -> list[Finding | PartialFailure]:
        try:
            document = self._run(setup, batch, cwd=cwd)
            findings, errors = parse_semgrep_output(document)
        except ScanError as err:
            return [PartialFailure(f"semgrep: {err}")]
        located: list[Finding | PartialFailure] = []
        for finding in findings:
            relative = PurePosixPath(finding.location.path or "").as_posix()
            source = staged.get(relative)
            if source is None:
                located.append(PartialFailure(f"semgrep reported an unknown path {relative!r}"))
                continue
            located.append(_relocated(finding, source))
        return [*located, *(PartialFailure(f"semgrep: {message}") for message in errors)]

    def _run(self, setup: _Setup, targets: Sequence[str], *, cwd: Path) -> object:
        command = [setup.executable, "scan"]
        for config in setup.configs:
            command += ["--config", str(config)]
        command += ["--metrics=off", "--disable-version-check", "--json", "--quiet", "--"]
        command += targets
        env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
        what = f"{len(targets)} file(s) from {targets[0]}"
        try:
            completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
                command, cwd=cwd, env=env, capture_output=True, timeout=self._timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise ScanError(f"{what}: semgrep stopped after {self._timeout:g} s") from None
        except OSError as err:
            raise ScanError(f"{what}: cannot run semgrep ({err.strerror or err})") from None
        if len(completed.stdout) > _MAX_OUTPUT_BYTES:
            raise ScanError(f"{what}: semgrep output over {_MAX_OUTPUT_BYTES} bytes")
        try:
            return json.loads(completed.stdout)
        except ValueError:
            tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise ScanError(
                f"{what}: semgrep failed (exit {completed.returncode}): {' '.join(tail)}"
            ) from None

    def scan_inventory(self, inventory: Inventory) -> Iterable[Finding]:
        """Records, once per scan, why Semgrep was selected but could not run."""
        setup = self._setup()
        if isinstance(setup, str):
            raise ScanError(f"the semgrep scanner was selected but skipped: {setup}")
        return ()


@dataclass(frozen=True, slots=True)
class _Staged:
    """A file copied for Semgrep: its path in the artifact and its source lines."""

    path: str
    lines: tuple[str, ...]


def batches(targets: Sequence[str]) -> list[list[str]]:
    """``targets`` cut into runs of bounded file count and argument length."""
    result: list[list[str]] = []
    current: list[str] = []
    size = 0
    for target in targets:
        if current and (
            len(current) >= MAX_BATCH_FILES or size + len(target) > MAX_BATCH_ARGV_CHARS
        ):
            result.append(current)
            current, size = [], 0
        current.append(target)
        size += len(target) + 1
    if current:
        result.append(current)
    return result


def _stage(
    artifact: Artifact, accepts: Callable[[FileEntry], bool], root: Path
) -> tuple[dict[str, _Staged], list[PartialFailure]]:
    """Copy every accepted file under ``root``; relative copy path -> where it came from."""
    staged: dict[str, _Staged] = {}
    problems: list[PartialFailure] = []
    for item in artifact.walk():
        if not isinstance(item, FileEntry) or not accepts(item):
            continue
        relative = _safe_relative(item.path)
        if relative in staged:
            relative = f"_secloop_{len(staged)}/{PurePosixPath(relative).name}"
        try:
            data = artifact.read(item)
        except ScanError as err:
            problems.append(PartialFailure(f"semgrep: {err}"))
            continue
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        lines = tuple(data.decode("utf-8", "replace").splitlines())
        staged[relative] = _Staged(item.path, lines)
    return staged, problems


def _safe_relative(path: str) -> str:
    """The entry path if it stays inside the temporary directory, else its file name."""
    parts = PurePosixPath(path).parts
    if not parts or any(part in ("..", "") for part in parts) or PurePosixPath(path).is_absolute():
        return PurePosixPath(path).name or "source"
    return PurePosixPath(*parts).as_posix()


def _relocated(finding: Finding, source: _Staged) -> Finding:
    """Semgrep names the temporary copy; the finding belongs to the original path, and
    shows the original lines (Semgrep shows "requires login" when not logged in)."""
    location = finding.location
    start = location.start_line or 1
    evidence = evidence_lines(source.lines, start, location.end_line) or finding.evidence
    check_id = finding.frameworks.get("semgrep", (finding.rule_id,))[0]
    return replace(
        finding,
        location=replace(location, path=source.path),
        evidence=evidence,
        anchor=anchor_text(check_id, evidence or f"line:{start}"),
    )
