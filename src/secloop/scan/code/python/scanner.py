"""The Python code scanner plugin: parse, analyse, turn rule hits into findings."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from collections.abc import Iterable, Sequence
from functools import cached_property

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.scan.code.python.analysis import ModuleAnalyzer, Record, top_level_functions
from secloop.scan.code.python.definitions import ModuleDefinitions
from secloop.scan.code.python.imports import ImportTable
from secloop.scan.code.python.nosec import NosecIndex
from secloop.scan.code.python.rules import ALL_RULES, CodeRule
from secloop.scan.code.python.sites import ModuleInfo
from secloop.scan.interface import FileContent, FileEntry, ScanError, Scanner

__all__ = ["MAX_FILE_BYTES", "PythonCodeScanner", "parse_module", "source_text"]

SCANNER_NAME = "python"
#: Larger .py files are generated (protobuf, vendored bundles); parsing them costs
#: seconds and their findings are not actionable by the project.
MAX_FILE_BYTES = 2 * 1024 * 1024
_ANCHOR_TEXT_CHARS = 240
_EVIDENCE_LINES = 3


def parse_module(text: str, path: str) -> ast.Module:
    """The module's tree, or ScanError naming the file, the line and the reason."""
    try:
        with warnings.catch_warnings():
            # Invalid escapes and similar are the author's business, not findings.
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            return ast.parse(text, filename=path)
    except SyntaxError as err:
        hint = " (Python 2 code?)" if "Missing parentheses" in (err.msg or "") else ""
        raise ScanError(f"{path}:{err.lineno}: not valid Python 3: {err.msg}{hint}") from None
    except ValueError as err:  # NUL bytes on Python 3.11
        raise ScanError(f"{path}: cannot parse: {err}") from None
    except (RecursionError, MemoryError):
        raise ScanError(f"{path}: expressions nested too deeply to parse") from None


def source_text(content: FileContent) -> str:
    """The source decoded as Python does: a PEP 263 coding cookie, else UTF-8 (BOM honoured)."""
    path = content.entry.path
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(content.data).readline)
    except SyntaxError as err:
        raise ScanError(f"{path}: {err.msg}") from None
    if encoding in ("utf-8", "utf-8-sig"):
        return content.text
    try:
        return content.data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise ScanError(f"{path}: cannot decode as declared {encoding}: {err}") from None


def _is_settings_module(path: str) -> bool:
    parts = path.lower().split("/")
    name = parts[-1].removesuffix(".py")
    return (
        name == "settings"
        or "settings" in parts[:-1]
        or name.endswith("_settings")
        or name.startswith("settings_")
    )


class PythonCodeScanner(Scanner):
    """Finds injection, unsafe deserialisation, TLS, crypto and web weaknesses in .py files.

    Stateless: each ``scan_file`` builds its own analysis, so one instance serves
    every file of every scan.
    """

    name = SCANNER_NAME
    kind = FindingKind.CODE
    text_only = True

    def __init__(self, rules: Sequence[CodeRule] | None = None) -> None:
        self._code_rules = tuple(ALL_RULES if rules is None else rules)

    @cached_property
    def _rules(self) -> tuple[Rule, ...]:
        return tuple(rule.to_rule() for rule in self._code_rules)

    def rules(self) -> Sequence[Rule]:
        return self._rules

    def applies_to(self, entry: FileEntry) -> bool:
        """Python sources (``.py``) up to 2 MiB; stubs (``.pyi``) hold no behaviour."""
        return entry.name.endswith(".py") and entry.size <= MAX_FILE_BYTES

    def scan_file(self, content: FileContent) -> Iterable[Finding]:
        path = content.entry.path
        text = source_text(content)
        lines = text.splitlines()
        tree = parse_module(text, path)
        module = ModuleInfo(
            path=path,
            imports=ImportTable.from_tree(tree),
            is_settings=_is_settings_module(path),
            definitions=ModuleDefinitions.from_tree(tree),
        )
        analyzer = ModuleAnalyzer(module, self._code_rules, functions=top_level_functions(tree))
        try:
            analyzer.visit(tree)
            analyzer.follow_calls()
        except RecursionError:
            raise ScanError(f"{path}: expressions nested too deeply to analyse") from None
        nosec = NosecIndex(lines)
        seen: set[tuple[str, int, int]] = set()
        findings: list[Finding] = []
        for record in analyzer.hits:
            node = record.hit.node
            key = (record.rule.id, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            if key in seen or nosec.silences(
                record.rule, key[1], getattr(node, "end_lineno", key[1]) or key[1]
            ):
                continue
            seen.add(key)
            findings.append(_finding(record, path, lines))
        return findings


def _column(lines: Sequence[str], line: int, byte_offset: int) -> int:
    """1-based column in code points from ast's UTF-8 byte offset."""
    if not 1 <= line <= len(lines):
        return byte_offset + 1
    prefix = lines[line - 1].encode("utf-8")[:byte_offset]
    return len(prefix.decode("utf-8", errors="replace")) + 1


def _location(node: ast.AST, path: str, lines: Sequence[str]) -> Location:
    start = int(getattr(node, "lineno", 1))
    end = int(getattr(node, "end_lineno", None) or start)
    end_offset = getattr(node, "end_col_offset", None)
    return Location(
        path=path,
        start_line=start,
        end_line=end,
        start_column=_column(lines, start, int(getattr(node, "col_offset", 0))),
        end_column=None if end_offset is None else _column(lines, end, int(end_offset)),
    )


def _finding(record: Record, path: str, lines: Sequence[str]) -> Finding:
    rule, hit = record.rule, record.hit
    location = _location(hit.node, path, lines)
    start = location.start_line or 1
    end = min(location.end_line or start, start + _EVIDENCE_LINES - 1)
    evidence = "\n".join(lines[start - 1 : end]).strip() if start <= len(lines) else ""
    message = hit.message
    if hit.taint is not None:
        flow = f"{hit.taint.render()} -> {hit.sink} (line {start})"
        message = f"{message} Flow: {flow}."
        evidence = f"{evidence}\nflow: {flow}"
    sink_text = " ".join(ast.unparse(hit.node).split())[:_ANCHOR_TEXT_CHARS]
    meta = rule.to_rule()
    return Finding(
        kind=FindingKind.CODE,
        rule_id=rule.id,
        severity=hit.severity or rule.severity,
        title=rule.title,
        message=message,
        location=location,
        scanner=SCANNER_NAME,
        anchor=f"{rule.id}|{record.qualname}|{sink_text}",
        evidence=evidence,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=meta.frameworks,
    )
