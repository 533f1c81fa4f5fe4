"""Terraform state (``*.tfstate``): the values Terraform itself calls sensitive.

State is JSON with every output and resource attribute in clear text. Two places are
secret by construction, whatever the value looks like:

1. ``outputs.<name>`` with ``"sensitive": true``: every string in its ``value``.
2. ``resources[].instances[].attributes``: string attributes whose name says secret
   (``password``, ``secret_string``, ``token``, ``private_key_pem``, ``access_key``),
   except names that only *describe* one (``secret_arn``, ``token_ttl``, ``password_length``).

Each value is first run through the text rules with its name as context (an AWS key
in an attribute is reported as an AWS key, on the attribute's line); only a value no
rule recognises becomes SECRET-TFSTATE-SENSITIVE-VALUE. State values are real (resolved
at apply time), so there is no entropy floor: an 8-character database password counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from secloop.core.finding import Finding
from secloop.core.location import LayerRef
from secloop.scan.interface import PartialFailure
from secloop.scan.misconfig.documents import Document, FieldPath, parse_json
from secloop.scan.secrets.engine import SecretEngine
from secloop.scan.secrets.filters import is_placeholder, looks_like_reference
from secloop.scan.secrets.structural import (
    TFSTATE_SENSITIVE_VALUE,
    merge_findings,
    relocate,
    structural_finding,
)

__all__ = ["scan_tfstate"]

_SECRET_NAME = re.compile(
    r"(?i)(?:password|passwd|secret|token|private_key|access_key|api_key|connection_string|auth_key)"
)
_DESCRIBES_ONLY = re.compile(
    r"(?i)(?:_arn|_id|_ids|_name|_names|_length|_version|_version_id|_ttl|_type|_policy"
    r"|_enabled|_required|_rotation|_expiry|_expiration|_hash|_count|_prefix|_url)$"
)
_MIN_VALUE_CHARS = 6
_MAX_DEPTH = 12


def _strings(value: Any, path: FieldPath, depth: int = 0) -> Iterator[tuple[FieldPath, str]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(child, (*path, key), depth + 1)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, (*path, index), depth + 1)


def _secret_attributes(
    value: Any, path: FieldPath, depth: int = 0
) -> Iterator[tuple[FieldPath, str]]:
    """Step (2): string attributes, at any depth, whose own name says secret."""
    if depth > _MAX_DEPTH:
        return
    items: Iterator[tuple[str | int, Any]]
    if isinstance(value, dict):
        items = iter(value.items())
    elif isinstance(value, list):
        items = iter(enumerate(value))
    else:
        return
    for key, child in items:
        child_path = (*path, key)
        if isinstance(child, str):
            name = str(key)
            if _SECRET_NAME.search(name) and not _DESCRIBES_ONLY.search(name):
                yield child_path, child
        else:
            yield from _secret_attributes(child, child_path, depth + 1)


def _candidates(document: Document) -> Iterator[tuple[FieldPath, str, str]]:
    """(field path, label for humans, value) for steps (1) and (2)."""
    state = document.value
    if not isinstance(state, dict):
        return
    outputs = state.get("outputs")
    if isinstance(outputs, dict):
        for name, output in outputs.items():
            if isinstance(output, dict) and output.get("sensitive") is True:
                base: FieldPath = ("outputs", name, "value")
                for path, value in _strings(output.get("value"), base):
                    yield path, f"output.{name}", value
    resources = state.get("resources")
    for r_index, resource in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(resource, dict) or not isinstance(resource.get("instances"), list):
            continue
        address = f"{resource.get('type', '?')}.{resource.get('name', '?')}"
        for i_index, instance in enumerate(resource["instances"]):
            attributes = instance.get("attributes") if isinstance(instance, dict) else None
            base = ("resources", r_index, "instances", i_index, "attributes")
            for path, value in _secret_attributes(attributes, base):
                label = ".".join(str(p) for p in path[len(base) :])
                yield path, f"{address}[{i_index}].{label}", value


def scan_tfstate(
    engine: SecretEngine,
    text: str,
    primary: list[Finding],
    *,
    path: str,
    layer: LayerRef | None,
) -> list[Finding | PartialFailure]:
    """The whole-text findings completed with the state's sensitive values."""
    stream = parse_json(text)
    extra: list[Finding] = []
    for document in stream.documents:
        for field_path, label, value in _candidates(document):
            if len(value) < _MIN_VALUE_CHARS or is_placeholder(value):
                continue
            if looks_like_reference(value):
                continue
            line, column = document.position_of(field_path)
            key = str(field_path[-1]) if isinstance(field_path[-1], str) else label
            found = engine.scan(f"{key}: {value}", path=path, layer=layer)
            if found:
                extra.extend(relocate(found, line=line, column=column, label=label))
                continue
            extra.append(
                structural_finding(
                    TFSTATE_SENSITIVE_VALUE,
                    value,
                    path=path,
                    line=line,
                    column=column,
                    where=label,
                    layer=layer,
                )
            )
    out: list[Finding | PartialFailure] = [*merge_findings(primary, extra)]
    out.extend(
        PartialFailure(reason=f"not valid JSON (line {e.line}: {e.reason}); text rules only")
        for e in stream.errors
    )
    return out
