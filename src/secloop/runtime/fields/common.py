"""Fields every plugin-style source shares: ``evt.*`` of a plugin event and the JSON plugin.

Falco gives events of plugin sources a few generic ``evt.*`` fields (time, number,
source) and its JSON plugin reads any JSON payload by pointer (``json.value[/a/b]``,
kept under the historical alias ``jevt.*``). Both are defined once here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from secloop.runtime.event import Event, FieldValue, format_time_iso
from secloop.runtime.fields.base import ArgKind, FieldSpec, FieldType, RawExtractor, json_text

__all__ = ["JSON_FIELDS", "PLUGIN_FIELDS", "extractor", "json_pointer"]

PLUGIN_FIELDS = (
    FieldSpec("evt.num", FieldType.INT),
    FieldSpec("evt.time"),
    FieldSpec("evt.time.s"),
    FieldSpec("evt.time.iso8601"),
    FieldSpec("evt.datetime"),
    FieldSpec("evt.datetime.s"),
    FieldSpec("evt.rawtime", FieldType.INT),
    FieldSpec("evt.rawtime.s", FieldType.INT),
    FieldSpec("evt.rawtime.ns", FieldType.INT),
    FieldSpec("evt.source"),
    FieldSpec("evt.pluginname"),
    FieldSpec("evt.plugininfo"),
    FieldSpec("evt.hostname"),
    FieldSpec("evt.is_async", FieldType.BOOL),
)

JSON_FIELDS = (
    FieldSpec("json.value", arg=ArgKind.KEY),
    FieldSpec("json.obj"),
    FieldSpec("json.rawtime"),
    FieldSpec("jevt.value", arg=ArgKind.KEY),
    FieldSpec("jevt.obj"),
    FieldSpec("jevt.rawtime"),
)


def json_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: ``/a/0/b~1c`` -> ``document["a"][0]["b/c"]``; None when any step is missing."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        return None
    node = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _clock(time_ns: int, *, with_date: bool, nanos: bool) -> str:
    seconds, rest = divmod(time_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC)
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
    return f"{text}.{rest:09d}" if nanos else text


def _plugin_value(name: str, event: Event) -> FieldValue | None:
    values: dict[str, Any] = {
        "evt.num": event.num or None,  # 0: unknown; Falco numbers events from 1
        "evt.time": _clock(event.time_ns, with_date=False, nanos=True),
        "evt.time.s": _clock(event.time_ns, with_date=False, nanos=False),
        "evt.time.iso8601": format_time_iso(event.time_ns),
        "evt.datetime": _clock(event.time_ns, with_date=True, nanos=True),
        "evt.datetime.s": _clock(event.time_ns, with_date=True, nanos=False),
        "evt.rawtime": event.time_ns,
        "evt.rawtime.s": event.time_ns // 1_000_000_000,
        "evt.rawtime.ns": event.time_ns % 1_000_000_000,
        "evt.source": event.source,
        "evt.pluginname": event.source,
        "evt.is_async": False,
    }
    return values.get(name)


def extractor(spec: FieldSpec, arg: str | None) -> RawExtractor:
    """The extractor of a generic field; unknown names read as not available."""
    name = spec.name
    if name in ("json.value", "jevt.value"):
        tokens = _pointer_tokens(arg or "")
        return lambda event: _json_tokens(event.payload, tokens)
    if name in ("json.obj", "jevt.obj"):
        return lambda event: json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
    if name in ("json.rawtime", "jevt.rawtime"):
        return lambda event: str(event.time_ns)
    return lambda event: _plugin_value(name, event)


def _pointer_tokens(pointer: str) -> tuple[str, ...] | None:
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        return None
    return tuple(raw.replace("~1", "/").replace("~0", "~") for raw in pointer[1:].split("/"))


def _json_tokens(document: Any, tokens: tuple[str, ...] | None) -> FieldValue | None:
    if tokens is None:
        return None
    node = document
    for token in tokens:
        if node.__class__ is dict:
            node = node.get(token)
            if node is None:
                return None
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node if node.__class__ is str else json_text(node)
