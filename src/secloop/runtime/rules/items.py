"""Validation of single rules-file items: the typed trust boundary of the loader.

Each helper reads one key of a YAML item, checks its shape, and reports with the
item's type, name and the key's position when the shape is wrong. Messages follow
Falco's wording ("Item has no mapping for key 'output'") so its users find them
familiar and the legacy loader tests can compare categories.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from secloop.runtime.event import Priority
from secloop.runtime.rules.ast import Op
from secloop.runtime.rules.diagnostics import Code, Level, Location
from secloop.runtime.rules.model import ExceptionDef, ExceptionValue, RuleDef, SourceText
from secloop.runtime.rules.yamlsrc import YMap, YNode, YScalar, YSeq

if TYPE_CHECKING:
    from secloop.runtime.rules.loader import Collector

__all__ = ["Context", "full_rule", "merge_rule", "parse_engine_version"]

_TRUE = frozenset({"true", "yes", "on", "y"})
_FALSE = frozenset({"false", "no", "off", "n"})
_RULE_KEYS = frozenset(
    {
        "rule",
        "desc",
        "condition",
        "output",
        "priority",
        "source",
        "enabled",
        "tags",
        "exceptions",
        "append",
        "override",
        "warn_evttypes",
        "skip-if-unknown-filter",
        "capture",
        "capture_duration",
    }
)
EXCEPTION_COMPS = frozenset({op.value for op in Op if op is not Op.EXISTS} | {"=="})


def parse_engine_version(text: str | None) -> tuple[int, int, int] | None:
    """``17`` -> (0, 17, 0); ``0.31.0`` -> (0, 31, 0); anything else -> None."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return (0, int(text), 0)
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return (major, minor, patch)


class Context:
    """One item being read, and where to report its problems."""

    def __init__(self, collector: Collector, node: YMap, text: str, counter: int) -> None:
        self.collector = collector
        self.node = node
        self.text = text
        self.counter = counter
        self.legacy_append = False

    @property
    def merge_key(self) -> str:
        return "append" if self.legacy_append else "override"

    def error(
        self,
        code: Code,
        message: str,
        item_type: str,
        item_name: str,
        where: Location | None = None,
    ) -> None:
        self.collector.report(
            Level.ERROR, code, message, where or self.node.location, item_type, item_name
        )

    def warn(
        self,
        code: Code,
        message: str,
        item_type: str,
        item_name: str,
        where: Location | None = None,
    ) -> None:
        self.collector.report(
            Level.WARNING, code, message, where or self.node.location, item_type, item_name
        )

    def name(self, kind: str) -> str | None:
        node = self.node.entries[kind]
        if not isinstance(node, YScalar) or not (node.value or "").strip():
            self.error(Code.LOAD_ERR_YAML_VALIDATE, f"Mapping for key '{kind}' is empty", kind, "")
            return None
        return node.value

    def scalar(self, key: str, item_type: str, name: str, *, required: bool) -> YScalar | None:
        node = self.node.entries.get(key)
        if node is None or (isinstance(node, YScalar) and node.value is None):
            if required:
                self.error(
                    Code.LOAD_ERR_YAML_VALIDATE,
                    f"Item has no mapping for key '{key}'",
                    item_type,
                    name,
                )
            return None
        if not isinstance(node, YScalar):
            self.error(
                Code.LOAD_ERR_YAML_VALIDATE,
                f"Value of key '{key}' must be a scalar",
                item_type,
                name,
                node.location,
            )
            return None
        return node

    def source_text(
        self, key: str, item_type: str, name: str, *, required: bool
    ) -> SourceText | None:
        node = self.scalar(key, item_type, name, required=required)
        if node is None:
            return None
        return source_text_of(node, self.text)

    def boolean(self, key: str, item_type: str, name: str, *, default: bool) -> bool | None:
        node = self.scalar(key, item_type, name, required=False)
        if node is None:
            return default
        value = (node.value or "").strip().lower()
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        self.error(
            Code.LOAD_ERR_YAML_VALIDATE,
            f"Value of key '{key}' must be true or false",
            item_type,
            name,
            node.location,
        )
        return None

    def string_list(
        self, key: str, item_type: str, name: str, *, required: bool
    ) -> list[str] | None:
        node = self.node.entries.get(key)
        if node is None:
            if required:
                self.error(
                    Code.LOAD_ERR_YAML_VALIDATE,
                    f"Item has no mapping for key '{key}'",
                    item_type,
                    name,
                )
            return None if required else []
        if isinstance(node, YScalar) and node.value is None:
            return []
        if not isinstance(node, YSeq) or not all(isinstance(i, YScalar) for i in node.items):
            self.error(
                Code.LOAD_ERR_YAML_VALIDATE,
                f"Value of key '{key}' must be a list of strings",
                item_type,
                name,
                node.location,
            )
            return None
        return [i.value or "" for i in node.items if isinstance(i, YScalar)]

    def merge_mode(
        self,
        item_type: str,
        name: str,
        append_keys: set[str] | frozenset[str],
        replace_keys: set[str] | frozenset[str],
    ) -> dict[str, str] | None:
        """Which keys append and which replace; {} for a plain (re)definition; None on error."""
        append = self.boolean("append", item_type, name, default=False)
        override = self.node.entries.get("override")
        if append is None:
            return None
        if append and override is not None:
            self.error(
                Code.LOAD_ERR_VALIDATE,
                "Keys 'override' and 'append: true' cannot be used together",
                item_type,
                name,
            )
            return None
        if append:
            self.legacy_append = True
            legacy = {"condition", "exceptions"} if item_type == "rule" else append_keys
            return {key: "append" for key in legacy if key in self.node.entries}
        if override is None:
            return {}
        return self._override(override, item_type, name, append_keys, replace_keys)

    def _override(
        self,
        override: YNode,
        item_type: str,
        name: str,
        append_keys: set[str] | frozenset[str],
        replace_keys: set[str] | frozenset[str],
    ) -> dict[str, str] | None:
        if not isinstance(override, YMap):
            self.error(
                Code.LOAD_ERR_YAML_VALIDATE,
                "Value of key 'override' must be a map",
                item_type,
                name,
                override.location,
            )
            return None
        mode: dict[str, str] = {}
        for key, value in override.entries.items():
            how = value.value if isinstance(value, YScalar) else None
            allowed = append_keys if how == "append" else replace_keys if how == "replace" else ()
            if key not in allowed:
                self.error(
                    Code.LOAD_ERR_VALIDATE,
                    f"Key '{key}' cannot be overridden with '{how}'",
                    item_type,
                    name,
                    override.keys[key],
                )
                return None
            if key not in self.node.entries:
                self.error(
                    Code.LOAD_ERR_VALIDATE,
                    f"An override for '{key}' was specified but '{key}' is not defined",
                    item_type,
                    name,
                    override.keys[key],
                )
                return None
            mode[key] = how or ""
        extra = set(self.node.entries) - set(mode) - {item_type, "override", "append"}
        if extra:
            key = sorted(extra)[0]
            self.error(
                Code.LOAD_ERR_VALIDATE,
                f"Key '{key}' is defined but has no override entry (append or replace)",
                item_type,
                name,
                self.node.keys[key],
            )
            return None
        return mode


def source_text_of(node: YScalar, text: str) -> SourceText:
    """The value with its raw source, skipping a block indicator or an opening quote."""
    raw = text[node.start : node.end]
    where = node.location
    if raw[:1] in (">", "|"):
        newline = raw.find("\n")
        raw = raw[newline + 1 :] if newline >= 0 else ""
        where = Location(where.file, where.line + 1, 1)
    elif raw[:1] in ('"', "'"):
        raw = raw[1:]
        where = Location(where.file, where.line, where.column + 1)
    return SourceText.of(node.value or "", raw, where)


def _priority(ctx: Context, name: str) -> Priority | None:
    node = ctx.scalar("priority", "rule", name, required=True)
    if node is None:
        return None
    try:
        return Priority.parse(node.value or "")
    except Exception:  # noqa: BLE001 - secloop's UsageError, reported as a diagnostic
        ctx.error(
            Code.LOAD_ERR_VALIDATE, f"Invalid priority '{node.value}'", "rule", name, node.location
        )
        return None


def full_rule(ctx: Context, name: str) -> RuleDef | None:
    """A complete rule definition; None (with diagnostics) when a required key is wrong."""
    for key in sorted(set(ctx.node.entries) - _RULE_KEYS):
        ctx.warn(
            Code.LOAD_UNKNOWN_KEY, f"Unknown key '{key}', ignored", "rule", name, ctx.node.keys[key]
        )
    condition = ctx.source_text("condition", "rule", name, required=True)
    output = ctx.source_text("output", "rule", name, required=True)
    desc = ctx.scalar("desc", "rule", name, required=True)
    priority = _priority(ctx, name)
    source = ctx.scalar("source", "rule", name, required=False)
    enabled = ctx.boolean("enabled", "rule", name, default=True)
    skip = ctx.boolean("skip-if-unknown-filter", "rule", name, default=False)
    tags = ctx.string_list("tags", "rule", name, required=False)
    exceptions = parse_exceptions(ctx, name, (), appending=False)
    if (
        condition is None
        or output is None
        or desc is None
        or priority is None
        or enabled is None
        or skip is None
        or tags is None
        or exceptions is None
    ):
        return None
    return RuleDef(
        name=name,
        desc=desc.value or "",
        condition=condition,
        output=output,
        priority=priority,
        source=(source.value or "syscall") if source else "syscall",
        enabled=enabled,
        tags=tuple(tags),
        exceptions=exceptions,
        skip_if_unknown_filter=skip,
        location=ctx.node.location,
        index=ctx.counter,
    )


def merge_rule(ctx: Context, rule: RuleDef, mode: dict[str, str]) -> RuleDef | None:
    """Apply an ``append: true`` or ``override:`` item to an existing rule."""
    merged = rule
    for key, how in mode.items():
        updated = _merge_key(ctx, merged, key, how == "append")
        if updated is None:
            return None
        merged = updated
    return merged


def _merge_key(  # noqa: PLR0911 - one exit per overridable key
    ctx: Context, rule: RuleDef, key: str, append: bool
) -> RuleDef | None:
    name = rule.name
    if key in ("condition", "output"):
        text = ctx.source_text(key, "rule", name, required=True)
        if text is None:
            return None
        if key == "condition":
            return replace(rule, condition=rule.condition.append(text) if append else text)
        return replace(rule, output=rule.output.append(text) if append else text)
    if key == "desc":
        desc = ctx.scalar("desc", "rule", name, required=True)
        if desc is None:
            return None
        value = desc.value or ""
        return replace(rule, desc=f"{rule.desc} {value}" if append else value)
    if key == "tags":
        tags = ctx.string_list("tags", "rule", name, required=True)
        if tags is None:
            return None
        merged = list(rule.tags) + [t for t in tags if t not in rule.tags] if append else tags
        return replace(rule, tags=tuple(merged))
    if key == "exceptions":
        base = rule.exceptions if append else ()
        found = parse_exceptions(ctx, name, base, appending=append)
        return None if found is None else replace(rule, exceptions=found)
    return _replace_simple(ctx, rule, key)


def _replace_simple(ctx: Context, rule: RuleDef, key: str) -> RuleDef | None:
    name = rule.name
    if key == "priority":
        priority = _priority(ctx, name)
        return None if priority is None else replace(rule, priority=priority)
    if key == "enabled":
        enabled = ctx.boolean("enabled", "rule", name, default=True)
        return None if enabled is None else replace(rule, enabled=enabled)
    if key == "skip-if-unknown-filter":
        skip = ctx.boolean(key, "rule", name, default=False)
        return None if skip is None else replace(rule, skip_if_unknown_filter=skip)
    return rule  # warn_evttypes, capture, capture_duration: accepted, no effect here


def parse_exceptions(
    ctx: Context, rule_name: str, base: tuple[ExceptionDef, ...], *, appending: bool
) -> tuple[ExceptionDef, ...] | None:
    """The rule's exceptions after this item: new ones added, values appended by name."""
    node = ctx.node.entries.get("exceptions")
    if node is None or (isinstance(node, YScalar) and node.value is None):
        return base
    if not isinstance(node, YSeq):
        ctx.error(
            Code.LOAD_ERR_YAML_VALIDATE,
            "Value of key 'exceptions' must be a list",
            "rule",
            rule_name,
            node.location,
        )
        return None
    result = {exc.name: exc for exc in base}
    for entry in node.items:
        parsed = _exception(ctx, entry, result, appending=appending)
        if parsed is None:
            return None
        result[parsed.name] = parsed
    return tuple(result.values())


def _exception(
    ctx: Context, entry: YNode, known: dict[str, ExceptionDef], *, appending: bool
) -> ExceptionDef | None:
    if not isinstance(entry, YMap):
        ctx.error(
            Code.LOAD_ERR_YAML_VALIDATE,
            "Each exception must be a map",
            "exception",
            "",
            entry.location,
        )
        return None
    name_node = entry.entries.get("name")
    name = name_node.value if isinstance(name_node, YScalar) else None
    if not name:
        ctx.error(
            Code.LOAD_ERR_YAML_VALIDATE,
            "Item has no mapping for key 'name'",
            "exception",
            "",
            entry.location,
        )
        return None
    existing = known.get(name)
    if appending and existing is not None:
        values = _values(ctx, entry, existing.fields, existing.single, name)
        return None if values is None else replace(existing, values=existing.values + values)
    return _new_exception(ctx, entry, name, appending=appending)


def _new_exception(ctx: Context, entry: YMap, name: str, *, appending: bool) -> ExceptionDef | None:
    fields_node = entry.entries.get("fields")
    if fields_node is None:
        message = (
            "Rule exception must have fields property with a list of fields"
            if appending
            else "Item has no mapping for key 'fields'"
        )
        code = Code.LOAD_ERR_VALIDATE if appending else Code.LOAD_ERR_YAML_VALIDATE
        ctx.error(code, message, "exception", name, entry.location)
        return None
    single = isinstance(fields_node, YScalar)
    fields = _texts(fields_node)
    comps_node = entry.entries.get("comps")
    if comps_node is None:
        comps = ("in",) if single else ("=",) * len(fields)
    else:
        comps = _texts(comps_node)
    if len(comps) != len(fields):
        ctx.error(
            Code.LOAD_ERR_VALIDATE,
            "Fields and comps lists must have equal length",
            "exception",
            name,
            entry.location,
        )
        return None
    for comp in comps:
        if comp not in EXCEPTION_COMPS:
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                f"'{comp}' is not a supported comparison operator",
                "exception",
                name,
                comps_node.location if comps_node else entry.location,
            )
            return None
    values = _values(ctx, entry, fields, single, name)
    if values is None:
        return None
    return ExceptionDef(
        name=name, fields=fields, comps=comps, values=values, single=single, location=entry.location
    )


def _texts(node: YNode) -> tuple[str, ...]:
    if isinstance(node, YScalar):
        return (node.value or "",)
    if isinstance(node, YSeq):
        return tuple(i.value or "" for i in node.items if isinstance(i, YScalar))
    return ()


def _values(
    ctx: Context, entry: YMap, fields: tuple[str, ...], single: bool, name: str
) -> tuple[tuple[ExceptionValue, ...], ...] | None:
    node = entry.entries.get("values")
    if node is None or (isinstance(node, YScalar) and node.value is None):
        return ()
    if not isinstance(node, YSeq):
        ctx.error(
            Code.LOAD_ERR_YAML_VALIDATE,
            "Value of key 'values' must be a list",
            "exception",
            name,
            node.location,
        )
        return None
    out: list[tuple[ExceptionValue, ...]] = []
    for item in node.items:
        if single:
            out.append((_value(item),))
            continue
        if not isinstance(item, YSeq) or len(item.items) != len(fields):
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                "Fields and values lists must have equal length",
                "exception",
                name,
                item.location,
            )
            return None
        out.append(tuple(_value(part) for part in item.items))
    return tuple(out)


def _value(node: YNode) -> ExceptionValue:
    if isinstance(node, YSeq):
        return tuple(i.value or "" for i in node.items if isinstance(i, YScalar))
    if isinstance(node, YScalar):
        return node.value or ""
    return ""
