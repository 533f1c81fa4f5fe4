"""conftest rule results as plain values: message, rule id, severity and field path.

conftest's convention: ``deny``/``violation`` rules (and ``deny_*``/``violation_*``) are
failures, ``warn``/``warn_*`` are warnings; each result is a string, or an object with
``msg`` and optional fields. secloop reads ``id`` (or ``rule``), ``severity`` and
``path`` from such an object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from secloop.core.errors import UsageError
from secloop.core.severity import Severity
from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.rego.engine import PolicyRuntimeError

__all__ = ["PolicyResult", "default_severity", "parse_field_path", "policy_results"]

_PATH_TOKEN = re.compile(r"\[(\d+)\]|\[\"([^\"]*)\"\]|([^.\[\]]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyResult:
    namespace: str
    rule: str
    rule_id: str
    message: str
    severity: Severity
    path: FieldPath | None = None


def default_severity(rule: str) -> Severity:
    """HIGH for failures (``deny``, ``violation``), MEDIUM for warnings (``warn``)."""
    return Severity.MEDIUM if rule.startswith("warn") else Severity.HIGH


def parse_field_path(value: object) -> FieldPath | None:
    """``spec.containers[0].image`` (or a list of keys and indexes) as a field path."""
    if isinstance(value, list):
        parts = [p for p in value if isinstance(p, str | int) and not isinstance(p, bool)]
        return tuple(parts) if parts and len(parts) == len(value) else None
    if not isinstance(value, str) or not value.strip():
        return None
    path: list[str | int] = []
    for index, quoted, key in _PATH_TOKEN.findall(value.strip()):
        path.append(int(index) if index else quoted or key)
    return tuple(path) or None


def _members(value: Any) -> Iterator[Any]:
    """The members of a rule's value: a set arrives as a list (Rego v1 ``contains``) or,
    for conftest's v0 ``deny[msg] { }``, as an object mapping each member to ``true``
    (non-string members JSON-encoded in the key)."""
    if isinstance(value, list):
        yield from value
    elif isinstance(value, dict):
        for key, flag in value.items():
            yield _decoded_key(key) if flag is True else flag
    elif value is not None and value is not False:
        yield value


def _decoded_key(key: str) -> Any:
    if key.startswith("{"):
        try:
            return json.loads(key)
        except json.JSONDecodeError:
            return key
    return key


def _severity(raw: object, rule: str, namespace: str) -> Severity:
    if raw is None:
        return default_severity(rule)
    try:
        return Severity.parse(str(raw))
    except UsageError as err:
        raise PolicyRuntimeError(f"rule {namespace}.{rule}: {err}") from None


def _result(namespace: str, rule: str, member: Any) -> PolicyResult:
    default_id = f"REGO.{namespace}.{rule}"
    if isinstance(member, Mapping):
        message = member.get("msg")
        text = message if isinstance(message, str) else json.dumps(member, sort_keys=True)
        custom = member.get("id") or member.get("rule")
        return PolicyResult(
            namespace=namespace,
            rule=rule,
            rule_id=str(custom) if custom else default_id,
            message=text,
            severity=_severity(member.get("severity"), rule, namespace),
            path=parse_field_path(member.get("path")),
        )
    message = member if isinstance(member, str) else json.dumps(member)
    if member is True:  # a boolean rule (`deny if { ... }`) carries no message
        message = f"{namespace}.{rule} is true"
    return PolicyResult(
        namespace=namespace,
        rule=rule,
        rule_id=default_id,
        message=message,
        severity=default_severity(rule),
    )


def policy_results(namespace: str, rule: str, value: Any) -> list[PolicyResult]:
    """Every result a rule produced, sorted so reports are stable."""
    results = [_result(namespace, rule, member) for member in _members(value)]
    return sorted(results, key=lambda r: (r.rule_id, r.message))
