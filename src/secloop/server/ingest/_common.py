"""Helpers shared by importers: bounded JSON reading, wire validation, finding assembly."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from secloop.core.finding import Finding
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.severity import Severity
from secloop.server.errors import IngestError, UploadTooLargeError
from secloop.server.ingest.interface import ImportLimits

ModelT = TypeVar("ModelT", bound=BaseModel)
KeyT = TypeVar("KeyT", bound=Hashable)


class WireModel(BaseModel):
    """Base of the foreign-report wire models.

    Unlike secloop's own JSON (``extra="forbid"``), third-party reports gain fields
    with every tool release; a model declares only what the importer reads and
    ignores the rest, while the fields it does read are validated strictly.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def check_size(data: bytes, *, source: str, limits: ImportLimits) -> None:
    if len(data) > limits.max_bytes:
        raise UploadTooLargeError(
            f"{source}: report is {len(data)} bytes, over the limit of {limits.max_bytes}"
        )


def _depth(value: object) -> int:
    """Nesting depth, iteratively (a recursive walk is what a depth bomb targets)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def load_json(data: bytes, *, source: str, limits: ImportLimits, what: str) -> Any:
    """Parse JSON under the byte and depth limits; errors name the file and the reason."""
    check_size(data, source=source, limits=limits)
    try:
        document = json.loads(data)
    except RecursionError:
        raise IngestError(f"{source}: {what} report nests deeper than allowed") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise IngestError(f"{source}: not a {what} report: invalid JSON: {err}") from None
    if _depth(document) > limits.max_depth:
        raise IngestError(
            f"{source}: {what} report nests deeper than the limit of {limits.max_depth}"
        )
    return document


def validate(model: type[ModelT], document: object, *, source: str, what: str) -> ModelT:
    """Validate a parsed document against a wire model; the first problem is named."""
    try:
        return model.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise IngestError(f"{source}: not a valid {what} report: {where}: {first['msg']}") from None


def severity_from(
    value: str | None, table: Mapping[str, Severity], *, source: str, what: str
) -> Severity:
    """Map a tool's severity word; an unknown word is an error, not a silent default."""
    if value is None or value == "":
        return Severity.UNKNOWN
    try:
        return table[value.strip().upper()]
    except KeyError:
        choices = ", ".join(sorted(table))
        raise IngestError(
            f"{source}: {what} report has unknown severity {value!r} (expected one of {choices})"
        ) from None


def collapse(findings: Iterable[Finding], key: Callable[[Finding], KeyT]) -> list[Finding]:
    """Keep the first finding per key, in order: the tool reported one problem twice."""
    seen: set[KeyT] = set()
    kept: list[Finding] = []
    for finding in findings:
        marker = key(finding)
        if marker not in seen:
            seen.add(marker)
            kept.append(finding)
    return kept


def check_count(count: int, *, source: str, limits: ImportLimits) -> None:
    if count > limits.max_findings:
        raise IngestError(
            f"{source}: report has {count} findings, over the limit of {limits.max_findings}"
        )


def finish(
    findings: Iterable[Finding], *, source: str, limits: ImportLimits
) -> tuple[Finding, ...]:
    """Fingerprint the findings (secloop recipe, ADR 0002) after the count limit."""
    listed = list(findings)
    check_count(len(listed), source=source, limits=limits)
    return tuple(assign_fingerprints(listed))


def relative_path(uri: str | None) -> str | None:
    """A report path as secloop writes paths: no ``file://`` scheme, no leading ``./``."""
    if not uri:
        return None
    path = uri
    if path.startswith("file://"):
        path = path[len("file://") :]
    while path.startswith("./"):
        path = path[2:]
    return path or None


def cwe_refs(cwes: Iterable[str | int]) -> dict[str, tuple[str, ...]]:
    """Framework mapping for CWE ids in any spelling (``79``, ``CWE-79``, ``CWE-79: name``)."""
    ids: list[str] = []
    for cwe in cwes:
        text = str(cwe).split(":", 1)[0].strip().upper()
        if text and not text.startswith("CWE-"):
            text = f"CWE-{text}"
        if text and text != "CWE-0" and text not in ids:
            ids.append(text)
    return {"cwe": tuple(ids)} if ids else {}
