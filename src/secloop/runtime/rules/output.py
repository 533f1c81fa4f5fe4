"""Output templates: ``%field`` substitution, compiled once per rule.

``%ka.user.name``, ``%proc.cmdline``, ``%ka.uri.param[command]``,
``%jevt.value[/requestObject/spec]`` and transformed fields such as
``%tolower(proc.name)`` are replaced by the event's values; a value the event does
not carry prints as ``<NA>``, a list as ``(a,b)``, as Falco prints them. A token
that names no field of the rule's source is a load error
("invalid formatting token ..."), like Falco's LOAD_ERR_COMPILE_OUTPUT.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from secloop.runtime.event import Event, FieldValue
from secloop.runtime.fields.base import Catalogue
from secloop.runtime.rules.ast import FieldRef, Transformer
from secloop.runtime.rules.compiler import CompileError, field_getter
from secloop.runtime.rules.parser import parse_field_text

__all__ = ["OutputError", "OutputTemplate", "compile_output", "render_value"]

_TOKEN = re.compile(
    r"%(?:(?P<tr>tolower|toupper|b64|basename|len)\((?P<inner>[^)%\s]+)\)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?P<arg>\[[^\]]*\])?)"
)

Part = str | tuple[str, Callable[[Event], FieldValue | None]]
Renderer = Callable[[Event], tuple[str, dict[str, FieldValue | None]]]


class OutputError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class OutputTemplate:
    """Literal text and field getters, in order; ``fields`` names the substituted fields."""

    parts: tuple[Part, ...]
    fields: tuple[str, ...]
    _getters: tuple[tuple[str, Callable[[Event], FieldValue | None]], ...] = field(
        init=False, repr=False, compare=False
    )
    _layout: str = field(init=False, repr=False, compare=False)
    _render: Renderer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One getter per distinct field, and a ``str.format`` layout whose ``{n}`` slots
        # name them: rendering is then one C call (literal braces are doubled).
        slots: dict[str, int] = {}
        getters: list[tuple[str, Callable[[Event], FieldValue | None]]] = []
        layout: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                layout.append(part.replace("{", "{{").replace("}", "}}"))
                continue
            name = part[0]
            if name not in slots:
                slots[name] = len(getters)
                getters.append(part)
            layout.append("{%d}" % slots[name])  # noqa: UP031 - the braces are the point
        object.__setattr__(self, "_getters", tuple(getters))
        object.__setattr__(self, "_layout", "".join(layout))
        object.__setattr__(self, "_render", _renderer(self._getters, self._layout))

    def render(self, event: Event) -> tuple[str, dict[str, FieldValue | None]]:
        """The output line and the values of the fields it used."""
        return self._render(event)


def _renderer(
    getters: tuple[tuple[str, Callable[[Event], FieldValue | None]], ...], layout: str
) -> Renderer:
    """One generated function per template: read each field once, format, return both.

    Alerts are frequent (most audit events match some rule), so rendering is on the
    hot path; a generated function avoids the intermediate dict and list of a
    generic loop. Safety as in ``compiler.compile_condition``: field names, getters
    and the layout are bound to invented identifiers in a builtins-free namespace,
    never spelled into the source.
    """
    namespace: dict[str, object] = {
        "__builtins__": {},
        "_str": str,
        "_rv": render_value,
        "_layout": layout,
    }
    reads: list[str] = []
    texts: list[str] = []
    pairs: list[str] = []
    for number, (name, get) in enumerate(getters):
        namespace[f"_g{number}"] = get
        namespace[f"_n{number}"] = name
        reads.append(f"    v{number} = _g{number}(e)\n")
        texts.append(f"v{number} if v{number}.__class__ is _str else _rv(v{number})")
        pairs.append(f"_n{number}: v{number}")
    source = (
        "def _render(e):\n"
        + "".join(reads)
        + f"    return _layout.format({', '.join(texts)}), {{{', '.join(pairs)}}}\n"
    )
    # Safe: only generated identifiers in source (see the docstring).
    # secloop:ignore PY-CODE-002 only fixed keywords and generated names in source
    exec(compile(source, "<rule output>", "exec"), namespace)  # noqa: S102
    return namespace["_render"]  # type: ignore[return-value]


def render_value(value: FieldValue | None) -> str:
    if value is None:
        return "<NA>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ",".join(render_value(v) for v in value) + ")"
    return str(value)


def compile_output(text: str, catalogue: Catalogue) -> OutputTemplate:
    """Compile ``text``; raises OutputError naming the first token that is not a field."""
    parts: list[Part] = []
    fields: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        ref = _reference(match)
        if ref is None:
            raise OutputError(f"invalid formatting token {match.group(0)[1:]}", match.start())
        try:
            _, get = field_getter(ref, catalogue)
        except CompileError as err:
            raise OutputError(
                f"invalid formatting token {match.group(0)[1:]}: {err.message}", match.start()
            ) from err
        label = ref.render()
        parts.append((label, get))
        if label not in fields:
            fields.append(label)
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return OutputTemplate(tuple(parts), tuple(fields))


def _reference(match: re.Match[str]) -> FieldRef | None:
    if match.group("tr"):
        inner = parse_field_text(match.group("inner"))
        if inner is None:
            return None
        transformer = Transformer(match.group("tr"))
        return FieldRef(inner.name, inner.arg, match.start(), (*inner.transformers, transformer))
    text = match.group("name") + (match.group("arg") or "")
    return parse_field_text(text)
