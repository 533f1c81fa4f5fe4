"""Rule exceptions turned into conditions, the way Falco does it.

A rule with exceptions evaluates ``(<condition>) and not (<e1> or <e2> ...)`` where
each exception contributes one alternative per values tuple::

    fields: [proc.name, fd.directory]   comps: [=, in]   values: [[apt, [/usr/bin, /bin]]]
    ->  (proc.name = apt and fd.directory in (/usr/bin, /bin))

Values follow Falco's rendering rules: a YAML list becomes a value list; a string
under ``in``/``intersects``/``pmatch`` is put in parentheses unless it already is
(so a list name inside becomes the list); an already quoted string stays one
string. Exceptions without values add nothing.
"""

from __future__ import annotations

from secloop.runtime.errors import ConditionSyntaxError
from secloop.runtime.rules.ast import And, Compare, ListLiteral, Literal, Node, Not, Op, Or, Value
from secloop.runtime.rules.model import ExceptionDef, ExceptionValue
from secloop.runtime.rules.parser import parse_field_text, parse_list_text, parse_value_text

__all__ = ["ExceptionFieldError", "with_exceptions"]


class ExceptionFieldError(Exception):
    """An exception names something that is not a field, or a value of the wrong shape."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception = exception
        self.message = message


def with_exceptions(condition: Node, exceptions: tuple[ExceptionDef, ...], offset: int) -> Node:
    """``condition`` guarded by the exceptions that have values."""
    alternatives: list[Node] = []
    for exception in exceptions:
        alternatives.extend(_alternatives(exception, offset))
    if not alternatives:
        return condition
    guard = alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives))
    return And((condition, Not(guard, offset)))


def _alternatives(exception: ExceptionDef, offset: int) -> list[Node]:
    fields = []
    for text in exception.fields:
        field = parse_field_text(text)
        if field is None:
            raise ExceptionFieldError(exception.name, f"'{text}' is not a supported filter field")
        fields.append(field)
    ops = [Op.parse(comp) for comp in exception.comps]
    out: list[Node] = []
    for values in exception.values:
        checks: list[Node] = []
        for field, op, value in zip(fields, ops, values, strict=True):
            if op is None:  # comps were checked by the loader; keep mypy and users safe
                raise ExceptionFieldError(exception.name, "unsupported comparison operator")
            checks.append(Compare(field, op, _value(exception.name, op, value, offset), offset))
        out.append(checks[0] if len(checks) == 1 else And(tuple(checks)))
    return out


def _value(name: str, op: Op, value: ExceptionValue, offset: int) -> Value:
    if isinstance(value, tuple):
        if not op.takes_list:
            raise ExceptionFieldError(
                name, f"a list value needs 'in', 'intersects' or 'pmatch', not '{op.value}'"
            )
        return ListLiteral(tuple(_item(item, offset) for item in value), offset)
    try:
        if op.takes_list:
            text = value if value.startswith("(") else f"({value})"
            return parse_list_text(text)
        if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
            return parse_value_text(value)
    except ConditionSyntaxError as err:
        raise ExceptionFieldError(name, f"invalid value {value!r}: {err}") from err
    return Literal(value, offset)


def _item(text: str, offset: int) -> Literal:
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]:
        try:
            return parse_value_text(text)
        except ConditionSyntaxError:
            return Literal(text, offset)
    return Literal(text, offset)
