"""Helpers shared by the Python scanner tests: scan a string or a file in memory."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secloop.core.finding import Finding
from secloop.scan.code.python.scanner import PythonCodeScanner
from secloop.scan.interface import FileContent, FileEntry

SCANNER = PythonCodeScanner()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "code"


def content_of(data: bytes, path: str = "app/views.py") -> FileContent:
    return FileContent(entry=FileEntry(path=path, size=len(data)), data=data)


def scan_text(source: str, path: str = "app/views.py") -> list[Finding]:
    """Findings for ``source`` (dedented), as if it were the file ``path``."""
    data = textwrap.dedent(source).lstrip("\n").encode("utf-8")
    return list(SCANNER.scan_file(content_of(data, path)))


def scan_file(path: Path, relative_to: Path) -> list[Finding]:
    data = path.read_bytes()
    return list(SCANNER.scan_file(content_of(data, path.relative_to(relative_to).as_posix())))


def rule_lines(findings: list[Finding], rule_id: str) -> list[int]:
    return sorted(f.location.start_line or 0 for f in findings if f.rule_id == rule_id)
