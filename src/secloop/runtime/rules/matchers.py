"""Value matchers: one comparison operator and its constant right-hand side, as a function.

Built once per check when a rule compiles, so evaluating a check on an event is
one call. Semantics follow Falco's documentation:

* ``glob``/``iglob``: shell patterns over the whole value, ``*`` crossing ``/``
  (``fnmatch`` without ``FNM_PATHNAME``), no backslash escapes; ``iglob`` ignores case;
* ``pmatch``: the value is a path below (or equal to) one of the prefixes, prefixes
  may hold glob wildcards that stay within one path component;
* ``regex``: a full match with RE2 (linear time, no backreferences) through the
  ``google-re2`` package; without it, Python's ``re`` is used and
  :data:`REGEX_ENGINE` says so (backtracking: do not feed it untrusted patterns);
* ``bcontains``/``bstartswith``: the right-hand side is hexadecimal bytes;
* ``in``/``intersects`` on a list field: every / at least one value in the set.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Any

from secloop.runtime.event import FieldValue, Scalar
from secloop.runtime.fields.base import FieldType
from secloop.runtime.rules.ast import Op

try:  # RE2 gives linear-time matching; it is the runtime extra's dependency.
    import re2 as _re2

    REGEX_ENGINE = "re2"
except ImportError:  # pragma: no cover - exercised only without the runtime extra
    _re2 = None
    REGEX_ENGINE = "re (fallback: install secloop[runtime] for RE2)"

__all__ = ["REGEX_ENGINE", "MatchError", "Matcher", "build_matcher", "coerce"]

Matcher = Callable[[Any], bool]


class MatchError(Exception):
    """The right-hand side does not fit the operator or the field type."""


def coerce(text: str, kind: FieldType) -> Scalar:
    """A right-hand-side text as a value of the field's type."""
    if kind is FieldType.INT:
        try:
            return int(text, 0)
        except ValueError:
            raise MatchError(f"'{text}' is not a number") from None
    if kind is FieldType.BOOL:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise MatchError(f"'{text}' is not true or false")
        return lowered == "true"
    return text


def build_matcher(op: Op, kind: FieldType, values: Sequence[str]) -> Matcher:
    """A predicate on one (non-list) value; ``values`` has one item unless ``op`` takes a list."""
    if kind in (FieldType.IPADDR, FieldType.IPNET) and op in (Op.EQ, Op.NE, Op.IN):
        return _ip_matcher(op, values)
    if op in (Op.IN, Op.INTERSECTS):
        members = frozenset(coerce(v, kind) for v in values)
        return members.__contains__
    if op is Op.PMATCH:
        return _pmatch(values)
    if kind in (FieldType.INT, FieldType.BOOL):
        return _ordered(op, coerce(values[0], kind))
    return _string_matcher(op, values[0])


def _ordered(op: Op, rhs: Scalar) -> Matcher:
    table: dict[Op, Matcher] = {
        Op.EQ: lambda v: v == rhs,
        Op.NE: lambda v: v != rhs,
        Op.LT: lambda v: v < rhs,
        Op.LE: lambda v: v <= rhs,
        Op.GT: lambda v: v > rhs,
        Op.GE: lambda v: v >= rhs,
    }
    found = table.get(op)
    if found is None:
        return _string_matcher(op, str(rhs).lower() if isinstance(rhs, bool) else str(rhs))
    return found


def _string_matcher(  # noqa: PLR0911 - one exit per operator
    op: Op, rhs: str
) -> Matcher:
    if op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE):
        return _ordered_text(op, rhs)
    if op is Op.CONTAINS:
        return lambda v: rhs in _text(v)
    if op is Op.ICONTAINS:
        lowered = rhs.lower()
        return lambda v: lowered in _text(v).lower()
    if op is Op.STARTSWITH:
        return lambda v: _text(v).startswith(rhs)
    if op is Op.ENDSWITH:
        return lambda v: _text(v).endswith(rhs)
    if op in (Op.BCONTAINS, Op.BSTARTSWITH):
        return _bytes_matcher(op, rhs)
    if op in (Op.GLOB, Op.IGLOB):
        flags = re.DOTALL | (re.IGNORECASE if op is Op.IGLOB else 0)
        pattern = re.compile(fnmatch.translate(rhs), flags)
        return lambda v: pattern.match(_text(v)) is not None
    if op is Op.REGEX:
        return _regex(rhs)
    raise MatchError(f"operator '{op.value}' needs a list")


def _ordered_text(op: Op, rhs: str) -> Matcher:
    table: dict[Op, Matcher] = {
        Op.EQ: lambda v: v == rhs,
        Op.NE: lambda v: v != rhs,
        Op.LT: lambda v: v < rhs,
        Op.LE: lambda v: v <= rhs,
        Op.GT: lambda v: v > rhs,
        Op.GE: lambda v: v >= rhs,
    }
    return table[op]


def _text(value: Any) -> str:
    if value.__class__ is str:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bytes_matcher(op: Op, rhs: str) -> Matcher:
    try:
        needle = bytes.fromhex(rhs)
    except ValueError:
        raise MatchError(f"'{rhs}' is not a hexadecimal byte string") from None
    if op is Op.BCONTAINS:
        return lambda v: needle in _text(v).encode("utf-8", "surrogateescape")
    return lambda v: _text(v).encode("utf-8", "surrogateescape").startswith(needle)


def _regex(pattern: str) -> Matcher:
    try:
        compiled: Any = _re2.compile(pattern) if _re2 is not None else re.compile(pattern)
    except Exception as err:  # noqa: BLE001 - re2.error and re.error share no base
        raise MatchError(f"invalid regular expression {pattern!r}: {err}") from None
    return lambda v: compiled.fullmatch(_text(v)) is not None


def _pmatch(prefixes: Sequence[str]) -> Matcher:
    plain: set[tuple[str, ...]] = set()
    wild: list[tuple[str, ...]] = []
    for prefix in prefixes:
        parts = tuple(p for p in prefix.split("/") if p)
        if any(c in prefix for c in "*?["):
            wild.append(parts)
        else:
            plain.add(parts)

    def match(value: Any) -> bool:
        parts = tuple(p for p in _text(value).split("/") if p)
        if any(parts[:n] in plain for n in range(len(parts) + 1)):
            return True
        return any(
            len(w) <= len(parts) and all(fnmatch.fnmatchcase(parts[i], w[i]) for i in range(len(w)))
            for w in wild
        )

    return match


def _ip_matcher(op: Op, values: Sequence[str]) -> Matcher:
    try:
        networks = [ipaddress.ip_network(v, strict=False) for v in values]
    except ValueError:
        members = frozenset(values)
        return (lambda v: v not in members) if op is Op.NE else members.__contains__

    def contained(value: Any) -> bool:
        try:
            address = ipaddress.ip_address(_text(value))
        except ValueError:
            return False
        return any(address in network for network in networks)

    if op is Op.NE:
        return lambda v: not contained(v)
    return contained


def list_matcher(op: Op, element: Matcher) -> Callable[[FieldValue], bool]:
    """Lift an element matcher to a list field: ``in`` needs all, everything else any."""
    if op is Op.IN:
        return lambda values: all(element(v) for v in _items(values))
    return lambda values: any(element(v) for v in _items(values))


def _items(value: FieldValue) -> tuple[Scalar, ...]:
    return value if isinstance(value, tuple) else (value,)


__all__ += ["list_matcher"]
