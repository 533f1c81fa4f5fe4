"""Jupyter notebooks (``*.ipynb``): scan what a person wrote and what the cells printed.

A notebook is JSON: each source line is a JSON string, with quotes escaped (``\\"``) and
the line break written as ``\\n``. The text rules still find self-identifying tokens in
the raw JSON, but assignment rules (``api_key = "..."``) see ``\\"`` instead of a quote
and may miss. So each cell's ``source``, and each output's ``text`` and ``text/*`` /
``application/json`` data, is decoded, joined back into the text a person saw, scanned,
and every finding is moved to the JSON line that holds its source line (the notebook
file's own line numbers, which is where a reviewer and ``secloop:ignore`` look).
Images and other binary outputs (base64 PNG) are skipped: they are noise, not text.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from secloop.core.finding import Finding
from secloop.core.location import LayerRef
from secloop.scan.interface import PartialFailure
from secloop.scan.misconfig.documents import Document, FieldPath, parse_json
from secloop.scan.secrets.engine import SecretEngine
from secloop.scan.secrets.structural import merge_findings, relocate

__all__ = ["scan_notebook"]

_TEXT_MIMES = ("text/", "application/json", "application/javascript")


def _text_fields(document: Document) -> Iterator[tuple[FieldPath, str, Any]]:
    """(field path, label, value) of every cell source and textual output."""
    cells = document.value.get("cells") if isinstance(document.value, dict) else None
    for c_index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        yield ("cells", c_index, "source"), f"cell {c_index + 1} source", cell.get("source")
        outputs = cell.get("outputs")
        for o_index, output in enumerate(outputs if isinstance(outputs, list) else []):
            if not isinstance(output, dict):
                continue
            base: FieldPath = ("cells", c_index, "outputs", o_index)
            label = f"cell {c_index + 1} output {o_index + 1}"
            yield (*base, "text"), label, output.get("text")
            data = output.get("data")
            for mime, value in data.items() if isinstance(data, dict) else []:
                if isinstance(mime, str) and mime.startswith(_TEXT_MIMES):
                    yield (*base, "data", mime), f"{label} ({mime})", value


def _field_findings(
    engine: SecretEngine,
    document: Document,
    field: tuple[FieldPath, str, Any],
    *,
    path: str,
    layer: LayerRef | None,
) -> list[Finding]:
    """Scan one multi-line string field (a list of lines, or one string) and move each
    finding to the JSON line of the list item its line came from."""
    field_path, label, value = field
    if isinstance(value, str):
        items = [value]
        positions = [document.position_of(field_path)]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = value
        positions = [document.position_of((*field_path, i)) for i in range(len(value))]
    else:
        return []
    if not items:
        return []
    first_lines: list[int] = []  # 1-based line, in the joined text, where each item starts
    line = 1
    for item in items:
        first_lines.append(line)
        line += item.count("\n")
    moved: list[Finding] = []
    for finding in engine.scan("".join(items), path=path, layer=layer):
        at = bisect.bisect_right(first_lines, finding.location.start_line or 1) - 1
        file_line, column = positions[max(0, at)]
        moved.extend(relocate([finding], line=file_line, column=column, label=label))
    return moved


def scan_notebook(
    engine: SecretEngine,
    text: str,
    primary: list[Finding],
    *,
    path: str,
    layer: LayerRef | None,
) -> list[Finding | PartialFailure]:
    """The whole-text findings completed with those in decoded cells and outputs."""
    stream = parse_json(text)
    extra: list[Finding] = []
    for document in stream.documents:
        for field in _text_fields(document):
            extra.extend(_field_findings(engine, document, field, path=path, layer=layer))
    out: list[Finding | PartialFailure] = [*merge_findings(primary, extra)]
    out.extend(
        PartialFailure(reason=f"not valid JSON (line {e.line}: {e.reason}); text rules only")
        for e in stream.errors
    )
    return out
