"""Bad input through the full scan path: a 1 GB file, a 100 MB line, NUL bytes, invalid
UTF-8 and regex-hostile text. Each gets a clear coverage entry and a bounded cost, and
the rest of the scan goes on (the secret planted beside it is still found)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from secloop.core.result import Failed, Scanned, ScanResult, Skipped, SkipReason
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import FileContent, FileEntry, PartialFailure, ScanLimits
from secloop.scan.registry import default_registry
from secloop.scan.secrets import ALL_RULES, SecretsScanner
from secloop.scan.secrets.engine import SecretEngine

GITHUB = "ghp_" + "FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Yf2"
MIB = 1024 * 1024


def _scan(root: Path, limits: ScanLimits | None = None) -> ScanResult:
    request = ScanRequest(
        spec=str(root), scanners=("secret",), use_gitignore=False, limits=limits or ScanLimits()
    )
    return run_scan(request, default_registry())


def _with_neighbour(root: Path) -> None:
    (root / "neighbour.env").write_text(f"GH={GITHUB}\n", encoding="utf-8")


def _found_neighbour(result: ScanResult) -> bool:
    return any(f.location.path == "neighbour.env" for f in result.findings)


def test_a_one_gigabyte_file_is_listed_as_skipped(tmp_path: Path) -> None:
    with (tmp_path / "dump.sql").open("wb") as handle:
        handle.truncate(1024 * MIB)  # sparse: no gigabyte is written
    _with_neighbour(tmp_path)
    started = time.perf_counter()
    result = _scan(tmp_path)
    assert time.perf_counter() - started < 30
    (skipped,) = [c for c in result.coverage if isinstance(c, Skipped)]
    assert skipped.path == "dump.sql"
    assert skipped.reason is SkipReason.TOO_LARGE
    assert _found_neighbour(result)


def test_a_file_over_the_scanners_old_cap_is_scanned_when_the_limit_allows(
    tmp_path: Path,
) -> None:
    """No silent size cap in the secrets scanner: --max-file-size decides."""
    lines = 64_000  # 6.4 MB: over the 5 MB the scanner used to drop without a word
    (tmp_path / "big.log").write_text(("x" * 99 + "\n") * lines + f"GH={GITHUB}\n")
    result = _scan(tmp_path, ScanLimits(max_file_bytes=64 * MIB))
    assert [f.location.start_line for f in result.findings] == [lines + 1]


def test_a_single_100_megabyte_line_costs_bounded_time() -> None:
    line = b"A" * (100 * MIB)
    content = FileContent(
        entry=FileEntry(path="bundle.min.js", size=len(line) + 100),
        data=line + b"\nGH=" + GITHUB.encode() + b"\n",
    )
    started = time.perf_counter()
    outcome = list(SecretsScanner().scan_file(content))
    assert time.perf_counter() - started < 30
    findings = [o for o in outcome if not isinstance(o, PartialFailure)]
    notes = [o for o in outcome if isinstance(o, PartialFailure)]
    assert [f.location.start_line for f in findings] == [2]
    assert [n.reason for n in notes] == [
        "line(s) 1 longer than 65536 characters: scanned only up to that length"
    ]


def test_long_lines_are_listed_in_the_coverage_manifest(tmp_path: Path) -> None:
    (tmp_path / "bundle.min.js").write_text(
        ("B" * 70_000 + "\n") * 7 + f"token={GITHUB}\n", encoding="utf-8"
    )
    result = _scan(tmp_path)
    (failed,) = [c for c in result.coverage if isinstance(c, Failed)]
    assert failed.path == "bundle.min.js"
    assert failed.reason == (
        "line(s) 1, 2, 3, 4, 5 and 2 more longer than 65536 characters: "
        "scanned only up to that length"
    )
    assert [f.location.start_line for f in result.findings] == [8]


def test_nul_bytes(tmp_path: Path) -> None:
    """A NUL in the first 8 KiB makes a file binary (listed as skipped); later NULs in
    a text file do not stop the scan."""
    (tmp_path / "blob.bin.txt").write_bytes(b"\x00\x01" + GITHUB.encode())
    (tmp_path / "late-nul.txt").write_bytes(b"a\n" * 5000 + b"\x00\nGH=" + GITHUB.encode())
    _with_neighbour(tmp_path)
    result = _scan(tmp_path)
    skipped = {c.path: c for c in result.coverage if isinstance(c, Skipped)}
    assert skipped["blob.bin.txt"].reason is SkipReason.BINARY
    lines = {(f.location.path, f.location.start_line) for f in result.findings}
    assert ("late-nul.txt", 5002) in lines
    assert _found_neighbour(result)


def test_invalid_utf8_is_scanned_and_noted(tmp_path: Path) -> None:
    (tmp_path / "latin1.properties").write_bytes(
        "# mot de passe généré\n".encode("latin-1") + b"GH=" + GITHUB.encode() + b"\n"
    )
    (tmp_path / "garbage.txt").write_bytes(os.urandom(64).replace(b"\x00", b"\x01"))
    result = _scan(tmp_path)
    assert [f.location.path for f in result.findings] == ["latin1.properties"]
    notes = {c.path: c.reason for c in result.coverage if isinstance(c, Failed)}
    assert "not valid UTF-8 text" in notes["latin1.properties"]
    scanned = {c.path for c in result.coverage if isinstance(c, Scanned)}
    assert "latin1.properties" in scanned


def _hostile(rule_keywords: tuple[str, ...]) -> list[str]:
    """Inputs built against the generic rules' constructs: long quoted literals before a
    comparison, repeated array keys, unterminated quotes, brackets, templates."""
    seed = " ".join(rule_keywords) or "x"
    return [
        seed + ('"' + "x" * 190 + '" == ') * 400,
        seed + ("secret[1] " * 8000),
        seed + ('password "' + "m{{h}o)p" * 20) * 300,
        seed + ("${" * 30_000),
        seed + ("api_key = @'" * 6000),
        seed + ("{{" + "a" * 50) * 1500,
    ]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_every_rule_is_linear_on_hostile_input(rule: object) -> None:
    engine = SecretEngine([rule])  # type: ignore[list-item]
    for text in _hostile(rule.keywords):  # type: ignore[attr-defined]
        started = time.perf_counter()
        engine.scan(text)
        assert time.perf_counter() - started < 2.0, len(text)
