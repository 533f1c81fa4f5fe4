"""JSON in and out of ``secloop detect``: orjson when installed, else the stdlib; same results.

Decoding audit lines and encoding alert lines is most of a replay's cost after the
rules themselves, and orjson (the ``runtime`` extra) does both several times faster
than :mod:`json`. The base install stays light: without orjson the stdlib is used.
Either way the values read and the bytes written are the same:

* :func:`loads` accepts exactly what ``json.loads`` accepts and returns the same
  value. orjson is tried first; whatever it rejects (``NaN``, lone surrogates, a
  byte-order mark) is handed to ``json.loads``, which accepts it or raises its usual
  error. orjson reads integers beyond 64 bits as floats, so a line with a run of 19
  or more digits goes to the stdlib directly.
* :func:`alert_line` writes an alert's JSON line as ``json.dumps(...,
  ensure_ascii=False)`` does, separators ``", "`` and ``": "`` included. orjson
  itself only writes compact JSON, so the line is assembled here from strings each
  encoded by orjson (its escaping is the stdlib's for every code point, checked by
  the tests), with the parts that only depend on the rule cached. Values it does not
  write the same way (floats: ``1e-07`` vs ``1e-7``; lone surrogates) go to the
  stdlib.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any, Generic, TypeVar

try:  # the ``runtime`` extra
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by monkeypatching ``ORJSON`` in tests
    _orjson = None  # type: ignore[assignment]

__all__ = ["ORJSON", "alert_line", "dumps", "loads", "using_orjson"]

T = TypeVar("T", str, bytes)

ORJSON: Any = _orjson
"""The orjson module, or None: tests set it to None to run the stdlib path."""

_STDLIB_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_STDLIB_LOADS = json.loads
#: Digits mapped to "0", so that one substring search finds a long run of digits.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
# orjson reads integers exactly within 64 bits, signed or unsigned (-2**63 .. 2**64-1),
# and turns longer ones into floats: 20 digits, or a minus and 19, go to the stdlib.
_LONG_POSITIVE = b"0" * 20
_LONG_NEGATIVE = b"-" + b"0" * 19


def using_orjson() -> bool:
    return ORJSON is not None


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``: the same value, or the same exception."""
    fast = ORJSON
    if fast is not None:
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        digits = raw.translate(_DIGITS_TO_ZERO)
        if _LONG_POSITIVE not in digits and _LONG_NEGATIVE not in digits:
            try:
                return fast.loads(raw)
            except fast.JSONDecodeError:
                pass  # the stdlib decides: it accepts more (NaN, BOM) and words its errors
    return _STDLIB_LOADS(data)


def dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``."""
    return _STDLIB_ENCODE(value)


class _NotPlainError(Exception):
    """A field value the alert-line writer leaves to the stdlib encoder (a float, a dict)."""


class _Syntax(Generic[T]):
    """The fixed pieces of an alert line, as str (stdlib) or bytes (orjson), encoded once."""

    def __init__(self, encode: Callable[[str], T], text: Callable[[str], T]) -> None:
        self.encode: Callable[[str], T] = encode
        self.text: Callable[[str], T] = text
        self.empty: T = text("")
        self.comma: T = text(", ")
        self.time_open: T = text('{"time": ')
        self.why_open: T = text('}, "why": [')
        self.close: T = text("]}")
        self.null: T = text("null")
        self.true: T = text("true")
        self.false: T = text("false")
        self.keys: dict[str, T] = {}  # field name -> '"name": '
        self.heads: dict[tuple[object, ...], tuple[T, T]] = {}

    def key(self, name: str) -> T:
        found = self.keys.get(name)
        if found is None:
            if name.__class__ is not str:
                raise _NotPlainError  # the stdlib converts or refuses non-string keys
            found = self.encode(name) + self.text(": ")
            if len(self.keys) < _MAX_CACHED:
                self.keys[name] = found
        return found


def _ascii(text: str) -> bytes:
    return text.encode("ascii")


def _same(text: str) -> str:
    return text


_MAX_CACHED = 4096
_STDLIB_SYNTAX: _Syntax[str] = _Syntax(encode_basestring, _same)


def alert_line(
    *,
    time: str,
    rule: str,
    priority: str,
    source: str,
    output: str,
    tags: Sequence[str],
    fields: Mapping[str, Any],
    why: Sequence[str],
    repeats: int = 1,
) -> str | None:
    """The JSON line of one alert, as ``json.dumps(..., ensure_ascii=False)`` writes it.

    Keys in the order of :meth:`Alert.to_json_dict` (``time``, ``rule``, ``priority``,
    ``source``, ``output``, ``tags``, ``fields``, ``why``, then ``repeats`` when > 1).
    The pieces that only depend on the rule are encoded once and cached; per alert
    only the time, the output, the field values and the reasons are encoded: with
    orjson each string costs a C call without a str round trip. None when a field
    value is not a string, integer, boolean, None or list of those (the caller then
    encodes the whole dict with the stdlib, which formats floats its own way).
    """
    fast = ORJSON
    try:
        if fast is not None:
            try:
                syntax = _orjson_syntax(fast)
                line = _line(
                    syntax, time, rule, priority, source, output, tags, fields, why, repeats
                )
                return line.decode("utf-8")
            except fast.JSONEncodeError:
                pass  # a lone surrogate: the stdlib writes it as json.dumps does
        return _line(
            _STDLIB_SYNTAX, time, rule, priority, source, output, tags, fields, why, repeats
        )
    except _NotPlainError:
        return None


def _orjson_syntax(fast: Any) -> _Syntax[bytes]:
    global _ORJSON_SYNTAX  # noqa: PLW0603 - built on first use, for the module in ORJSON
    syntax = _ORJSON_SYNTAX
    if syntax is None or syntax.encode is not fast.dumps:
        syntax = _Syntax(fast.dumps, _ascii)
        _ORJSON_SYNTAX = syntax
    return syntax


_ORJSON_SYNTAX: _Syntax[bytes] | None = None


def _line(  # noqa: PLR0917 - the keys of one line, passed through from alert_line
    syntax: _Syntax[T],
    time: str,
    rule: str,
    priority: str,
    source: str,
    output: str,
    tags: Sequence[str],
    fields: Mapping[str, Any],
    why: Sequence[str],
    repeats: int,
) -> T:
    enc, keys = syntax.encode, syntax.keys
    head, tags_part = _head(syntax, rule, priority, source, tuple(tags))
    parts: list[T] = [syntax.time_open, enc(time), head, enc(output), tags_part]
    append = parts.append
    separator = syntax.empty
    for name, value in fields.items():
        append(separator)
        append(keys.get(name) or syntax.key(name))
        append(enc(value) if value.__class__ is str else _value(syntax, value))
        separator = syntax.comma
    parts.append(syntax.why_open)
    parts.append(syntax.comma.join([enc(reason) for reason in why]))
    parts.append(syntax.close if repeats <= 1 else syntax.text(f'], "repeats": {int(repeats)}}}'))
    return syntax.empty.join(parts)


def _value(syntax: _Syntax[T], value: Any) -> T:
    cls = value.__class__
    if cls is str:
        return syntax.encode(value)
    if value is None:
        return syntax.null
    if value is True:
        return syntax.true
    if value is False:
        return syntax.false
    if cls is int:
        return syntax.text(int.__repr__(value))
    if cls is tuple or cls is list:
        items = [_scalar(syntax, item) for item in value]
        return syntax.text("[") + syntax.comma.join(items) + syntax.text("]")
    raise _NotPlainError


def _scalar(syntax: _Syntax[T], value: Any) -> T:
    if value.__class__ in (tuple, list):
        raise _NotPlainError  # nested lists: left to the stdlib
    return _value(syntax, value)


def _head(
    syntax: _Syntax[T], rule: str, priority: str, source: str, tags: tuple[str, ...]
) -> tuple[T, T]:
    """The encoded ``rule``/``priority``/``source`` keys and the ``tags`` up to ``fields``."""
    found = syntax.heads.get((rule, priority, source, tags))
    if found is None:
        enc, text = syntax.encode, syntax.text
        head = syntax.empty.join(
            [
                text(', "rule": '),
                enc(rule),
                text(', "priority": '),
                enc(priority),
                text(', "source": '),
                enc(source),
                text(', "output": '),
            ]
        )
        tags_part = text(', "tags": [') + syntax.comma.join([enc(t) for t in tags])
        found = (head, tags_part + text('], "fields": {'))
        if len(syntax.heads) < _MAX_CACHED:
            syntax.heads[(rule, priority, source, tags)] = found
    return found
