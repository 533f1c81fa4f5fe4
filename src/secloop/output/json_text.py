"""JSON text exactly as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it,
handed out piece by piece.

Why not ``json.dumps``: with ``indent`` the standard library falls back to its
pure-Python encoder, which collects every token of the document in one list (millions
for a report with tens of thousands of findings) before joining them. That list was
most of a large scan's peak memory and the encoder a good part of its CPU time. This
walks the same values with the C string escaper and passes each piece to ``out``, so
a report can go to its file as it is produced; the text is the same byte for byte
(tests compare the two on every kind of value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring  # the C implementation when available
from typing import Any

__all__ = ["Encoded", "Out", "encode", "write_array", "write_value"]

#: Where pieces go: ``list.append``, or a text stream's ``write`` (its count ignored).
Out = Callable[[str], object]
_STEP = "  "


class Encoded(str):
    """JSON text already encoded (by this module, at the indentation where it is
    written), passed through as it is: a value shared by many findings is encoded once."""

    __slots__ = ()


def encode(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``."""
    parts: list[str] = []
    write_value(value, parts.append, "\n")
    return "".join(parts)


def write_value(value: Any, out: Out, newline: str) -> None:
    """Write ``value``; ``newline`` is a line break plus the current indentation."""
    kind = type(value)
    if kind is str:
        out(encode_basestring(value))
    elif kind is dict:
        _write_object(value, out, newline)
    elif kind is list or kind is tuple:
        write_array(value, out, newline)
    elif kind is Encoded:
        out(value)
    else:
        out(_other(value, out, newline))


def write_array(items: Iterable[Any], out: Out, newline: str) -> None:
    """An array of ``items`` (any iterable, consumed once: findings can be produced
    one at a time and dropped once written)."""
    inner = newline + _STEP
    if isinstance(items, (list, tuple)) and all(type(item) is str for item in items):
        # The common leaf (references, paths, frameworks' ids): one piece.
        if items:
            out(f"[{inner}{f',{inner}'.join(map(encode_basestring, items))}{newline}]")
        else:
            out("[]")
        return
    separator = "[" + inner
    for item in items:
        out(separator)
        separator = "," + inner
        write_value(item, out, inner)
    out("[]" if separator[0] == "[" else newline + "]")


def _write_object(mapping: dict[Any, Any], out: Out, newline: str) -> None:
    if not mapping:
        out("{}")
        return
    inner = newline + _STEP
    separator = "{" + inner
    for key, value in mapping.items():
        kind = type(value)
        name = encode_basestring(key if type(key) is str else _key(key))
        if kind is str:
            out(f"{separator}{name}: {encode_basestring(value)}")
        elif kind is int:
            out(f"{separator}{name}: {int.__repr__(value)}")
        else:
            out(f"{separator}{name}: ")
            write_value(value, out, inner)
        separator = "," + inner
    out(newline + "}")


def _key(key: Any) -> str:
    """Non-string keys as ``json.dumps`` turns them into strings."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is True or key is False or key is None:
        return _constant(key)
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return _float(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _other(value: Any, out: Out, newline: str) -> str:
    """Everything but plain str/dict/list/tuple, in ``json``'s order of tests; the
    subclasses (StrEnum, IntEnum, OrderedDict) land here and encode as their base."""
    if value is None or value is True or value is False:
        return _constant(value)
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple)):
        write_array(value, out, newline)
        return ""
    if isinstance(value, dict):
        _write_object(value, out, newline)
        return ""
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _constant(value: bool | None) -> str:
    return "null" if value is None else ("true" if value else "false")


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)
