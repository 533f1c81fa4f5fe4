"""What a field catalogue is: typed field specifications and cached extractors.

Each event source declares the fields its events carry, with Falco's names and
types, in one catalogue. The rules compiler asks the catalogue of a rule's source
whether a field exists (an unknown field disables that rule, it does not abort the
load), and for an *extractor*: a function from an event to the field's value, or
None when the event does not carry it. Extractors memoise their result on the
event, because dozens of rules read the same handful of fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from secloop.runtime.event import Event, FieldValue

__all__ = [
    "ArgKind",
    "Catalogue",
    "Extractor",
    "FieldSpec",
    "FieldType",
    "RawExtractor",
    "json_text",
]

Extractor = Callable[[Event], FieldValue | None]
RawExtractor = Callable[[Event], FieldValue | None]
ExtractorFactory = Callable[["FieldSpec", str | None], tuple[RawExtractor, bool]]

_MISSING = object()


class FieldType(Enum):
    """How values compare: strings by bytes, integers by value, addresses by network."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    IPADDR = "ipaddr"
    IPNET = "ipnet"
    BYTES = "bytes"


class ArgKind(Enum):
    """Whether a field takes an argument in brackets, and which kind."""

    NONE = "none"
    INDEX = "index"  # optional integer: proc.aname[2], ka.req.pod.containers.image[0]
    KEY = "key"  # required free text: ka.uri.param[command], jevt.value[/a/b]
    OPTIONAL_KEY = "optional-key"  # proc.env, proc.env[HOME]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field a source offers.

    ``any_match`` marks Falco's ancestor fields (``proc.aname`` without an index):
    a comparison holds when it holds for any one of the values, whatever the operator.
    """

    name: str
    type: FieldType = FieldType.STRING
    is_list: bool = False
    arg: ArgKind = ArgKind.NONE
    any_match: bool = False
    desc: str = ""


class Catalogue:
    """The fields of one event source, and the extractors that read them."""

    def __init__(
        self,
        source: str,
        specs: Iterable[FieldSpec],
        factory: ExtractorFactory,
        *,
        prefixes: Mapping[str, FieldSpec] | None = None,
    ) -> None:
        self.source = source
        self._specs = {spec.name: spec for spec in specs}
        self._prefixes = dict(prefixes or {})
        self._factory = factory
        self._extractors: dict[tuple[str, str | None], Extractor] = {}

    def names(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, name: str) -> FieldSpec | None:
        """The spec of ``name``; ``evt.arg.flags``-style names resolve through their prefix."""
        found = self._specs.get(name)
        if found is not None:
            return found
        for prefix, spec in self._prefixes.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                return spec
        return None

    def check_arg(self, name: str, arg: str | None) -> str | None:
        """Why ``name[arg]`` is not a valid use of the field, or None when it is."""
        spec = self.spec(name)
        if spec is None:
            return f"unknown field {name!r}"
        if spec.arg is ArgKind.NONE and arg is not None and spec.name == name:
            return f"field {name!r} does not take an argument"
        if spec.arg is ArgKind.KEY and arg is None and spec.name == name:
            return f"field {name!r} requires an argument, e.g. {name}[...]"
        return None

    def extractor(self, name: str, arg: str | None = None) -> Extractor:
        """A memoising extractor for ``name[arg]``; raises KeyError for an unknown field."""
        key = (name, arg)
        found = self._extractors.get(key)
        if found is not None:
            return found
        spec = self.spec(name)
        if spec is None:
            raise KeyError(name)
        if spec.name != name:  # prefix form: evt.arg.flags is evt.arg[flags]
            arg = name[len(spec.name) + 1 :] if arg is None else arg
        raw, memoise = self._factory(spec, arg)
        built = _memoised(key, raw) if memoise else raw
        self._extractors[key] = built
        return built


def _memoised(key: tuple[str, str | None], raw: RawExtractor) -> Extractor:
    def extract(event: Event) -> FieldValue | None:
        cache = event.cache
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = raw(event)
            cache[key] = value
        return value  # type: ignore[return-value]

    return extract


def json_text(value: Any) -> str:
    """A JSON value as Falco's plugins render it: strings raw, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _COMPACT(value)


# ``json.dumps`` with non-default options builds a new encoder per call; build it once.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
