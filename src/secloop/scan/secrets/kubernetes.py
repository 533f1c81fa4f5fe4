"""Kubernetes ``Secret`` and ``ConfigMap`` manifests: values the raw text hides.

Steps for one manifest file (numbered ``# (n)`` below):

1. Cheap gate: only files that declare ``kind: Secret``, ``ConfigMap`` or ``List`` are
   parsed at all; every other YAML file costs one regex search.
2. Parse with the misconfiguration scanner's composer-based reader
   (:mod:`secloop.scan.misconfig.documents`), which gives the line of every key; a
   ``kind: List`` contributes its ``items``.
3. For each ``Secret.data`` value: base64-decode it (values that do not decode, such as
   Helm templates, are left to the text scan) and run the text rules over
   ``"<key>: <decoded>"``, so that the key gives context to assignment rules (a
   ``password`` key makes the generic password rule apply). ``stringData`` and
   ``ConfigMap.data`` are plain text, but run the same way so that a key names a value
   written as a block scalar.
4. A ``Secret`` value that no rule recognised but that looks random (single line, 8+
   characters, 3+ bits of entropy per character, not a placeholder) is reported as
   SECRET-K8S-SECRET-MANIFEST: a committed Secret with live data is a leak whatever
   the credential is (Trivy reports nothing here).
5. Findings land on the line of the key; a whole-text finding whose secret is a base64
   ``data`` value itself is dropped (the decoded one says more), and a secret both
   scans found is reported once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secloop.core.finding import Finding
from secloop.core.location import LayerRef
from secloop.scan.interface import PartialFailure
from secloop.scan.misconfig.documents import Document, FieldPath, parse_stream
from secloop.scan.secrets.engine import SecretEngine
from secloop.scan.secrets.structural import (
    K8S_SECRET_MANIFEST,
    looks_random,
    merge_findings,
    relocate,
    structural_finding,
)

__all__ = ["is_manifest_candidate", "scan_manifest"]

_KIND = re.compile(r"""^\s*["']?kind["']?\s*:\s*["']?(?:Secret|ConfigMap|List)\b""", re.MULTILINE)
#: A decoded binary value shorter than this (a flag byte, a small integer) is not key material.
_MIN_BINARY_BYTES = 16
#: Values longer than this are scanned only up to it (a bundled CA file, a keystore).
_MAX_VALUE_CHARS = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    """One ``data``/``stringData`` value with where it is written."""

    kind: str
    key: str
    field: str  # "data" or "stringData"
    raw: str
    line: int
    column: int


def is_manifest_candidate(text: str) -> bool:
    """Step (1): the text declares a kind this module reads."""
    return _KIND.search(text) is not None


def _objects(value: Any, base: FieldPath) -> Iterator[tuple[dict[str, Any], FieldPath]]:
    if not isinstance(value, dict):
        return
    if value.get("kind") == "List" and isinstance(value.get("items"), list):
        for index, item in enumerate(value["items"]):
            yield from _objects(item, (*base, "items", index))
        return
    if value.get("kind") in ("Secret", "ConfigMap"):
        yield value, base


def _entries(document: Document) -> Iterator[_Entry]:
    """Step (2): every string value under ``data``/``stringData`` with its key's line."""
    for obj, base in _objects(document.value, ()):
        kind = str(obj["kind"])
        fields = ("data", "stringData") if kind == "Secret" else ("data",)
        for field_name in fields:
            values = obj.get(field_name)
            if not isinstance(values, dict):
                continue
            for key, raw in values.items():
                if not isinstance(raw, str) or not raw.strip():
                    continue
                line, column = document.position_of((*base, field_name, key))
                yield _Entry(
                    kind=kind, key=str(key), field=field_name, raw=raw, line=line, column=column
                )


def _b64decode(raw: str) -> bytes | None:
    compact = "".join(raw.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _entry_findings(
    engine: SecretEngine, entry: _Entry, *, path: str, layer: LayerRef | None
) -> list[Finding]:
    """Steps (3) and (4) for one value."""
    where = f"{entry.kind}.{entry.field}.{entry.key}"
    if entry.kind == "Secret" and entry.field == "data":
        decoded = _b64decode(entry.raw)
        if decoded is None:
            return []
        try:
            value = decoded.decode("utf-8")
        except UnicodeDecodeError:
            if len(decoded) < _MIN_BINARY_BYTES:
                return []
            return [_manifest_finding(entry, entry.raw, f"{where} (binary)", path, layer)]
        label = f"{where} (base64-decoded)"
    else:
        value, label = entry.raw, where
    found = engine.scan(f"{entry.key}: {value[:_MAX_VALUE_CHARS]}", path=path, layer=layer)
    if found:
        return relocate(found, line=entry.line, column=entry.column, label=label)
    if entry.kind == "Secret" and "\n" not in value.strip() and looks_random(value.strip()):
        return [_manifest_finding(entry, value.strip(), label, path, layer)]
    return []


def _manifest_finding(
    entry: _Entry, value: str, where: str, path: str, layer: LayerRef | None
) -> Finding:
    return structural_finding(
        K8S_SECRET_MANIFEST,
        value,
        path=path,
        line=entry.line,
        column=entry.column,
        where=where,
        layer=layer,
    )


def scan_manifest(
    engine: SecretEngine,
    text: str,
    primary: list[Finding],
    *,
    path: str,
    layer: LayerRef | None,
    json_syntax: bool,
) -> list[Finding | PartialFailure]:
    """The whole-text findings ``primary`` completed with what the manifest structure
    reveals (step 5); a document that does not parse keeps only its text findings."""
    stream = parse_stream(text, json_syntax=json_syntax)
    extra: list[Finding] = []
    encoded: set[str] = set()
    for document in stream.documents:
        for entry in _entries(document):
            if entry.kind == "Secret" and entry.field == "data":
                encoded.add(_digest(entry.raw))
            extra.extend(_entry_findings(engine, entry, path=path, layer=layer))
    kept = [f for f in primary if f.anchor.rsplit(":", 1)[-1] not in encoded]
    out: list[Finding | PartialFailure] = [*merge_findings(kept, extra)]
    out.extend(
        PartialFailure(reason=f"document {e.index + 1} (line {e.line}): {e.reason}; text only")
        for e in stream.errors
    )
    return out
