"""The runtime vocabulary: events from any source, the priority scale and alerts.

One :class:`Event` shape serves every source (Kubernetes audit, Falco JSON, the
later eBPF sensor): a source name, a time and a payload. Fields are read by their
Falco names (``ka.user.name``, ``proc.cmdline``) through the field catalogue of
the event's source, so rules written for Falco read them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from functools import lru_cache
from typing import Any

from secloop.core.errors import UsageError
from secloop.core.severity import Severity
from secloop.runtime import jsoncodec

__all__ = ["Alert", "Event", "FieldValue", "Priority", "Rendering", "Scalar", "format_time_iso"]

Scalar = str | int | bool
FieldValue = Scalar | tuple[Scalar, ...]


class Priority(IntEnum):
    """Falco's priority scale, ordered so that ``Priority.ERROR > Priority.WARNING``."""

    DEBUG = 0
    INFORMATIONAL = 1
    NOTICE = 2
    WARNING = 3
    ERROR = 4
    CRITICAL = 5
    ALERT = 6
    EMERGENCY = 7

    @classmethod
    def parse(cls, text: str) -> Priority:
        """Read a priority in any case; ``INFO`` is Falco's alias of ``INFORMATIONAL``."""
        name = text.strip().upper()
        if name == "INFO":
            return cls.INFORMATIONAL
        try:
            return cls[name]
        except KeyError:
            choices = ", ".join(member.name for member in cls)
            raise UsageError(f"unknown priority {text!r}; choose one of {choices}") from None

    @property
    def label(self) -> str:
        """The spelling Falco prints (``Warning``), so alert consumers see familiar text."""
        return self.name.capitalize()

    @property
    def severity(self) -> Severity:
        """The secloop severity a runtime finding of this priority gets."""
        if self >= Priority.CRITICAL:
            return Severity.CRITICAL
        if self == Priority.ERROR:
            return Severity.HIGH
        if self == Priority.WARNING:
            return Severity.MEDIUM
        if self == Priority.NOTICE:
            return Severity.LOW
        return Severity.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One runtime event.

    ``payload`` is what the source produced: the decoded audit event for
    ``k8s_audit``, a flat ``{field name: value}`` map for syscall-style sources.
    ``num`` is the event's number in its stream, from 1 (0: unknown).
    ``cache`` memoises extracted fields for the life of the event: many rules
    read the same few fields, and extracting each once is most of the engine's speed.
    """

    source: str
    time_ns: int
    payload: Mapping[str, Any]
    num: int = 0
    cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    def get(self, name: str, arg: str | None = None) -> FieldValue | None:
        """The value of a field by its Falco name, or None when the event does not carry it."""
        from secloop.runtime.fields import catalogue_for

        return catalogue_for(self.source).extractor(name, arg)(self)


Rendering = Callable[[Event], tuple[str, Mapping[str, FieldValue | None]]]
"""A compiled output template: the output line and the values of the fields it used."""


class Alert:
    """What a rule raised on an event: the record printed, stored and forwarded.

    ``explanation`` lists the sub-conditions that were true ("why it matched"); it is
    empty unless the engine was asked to explain (see ``rules.explain``).

    Immutable, compared by value like a frozen dataclass. The engine builds alerts
    with :meth:`deferred`: ``output`` and ``fields`` are rendered from the event on
    first read, because most audit events raise an alert and a consumer that only
    counts, throttles by rule or drops them should not pay for formatting. The text
    is the same whenever it is rendered: events and their payloads are not changed
    after they are read.
    """

    __slots__ = (
        "_event",
        "_fields",
        "_output",
        "_rendering",
        "explanation",
        "priority",
        "rule",
        "source",
        "tags",
        "time_ns",
    )
    rule: str
    priority: Priority
    time_ns: int
    tags: tuple[str, ...]
    source: str
    explanation: tuple[str, ...]
    _output: str | None
    _fields: Mapping[str, FieldValue | None] | None
    _rendering: Rendering | None
    _event: Event | None

    def __init__(
        self,
        *,
        rule: str,
        priority: Priority,
        output: str,
        time_ns: int,
        fields: Mapping[str, FieldValue | None],
        tags: tuple[str, ...],
        source: str,
        explanation: tuple[str, ...] = (),
    ) -> None:
        _set = object.__setattr__
        _set(self, "rule", rule)
        _set(self, "priority", priority)
        _set(self, "time_ns", time_ns)
        _set(self, "tags", tags)
        _set(self, "source", source)
        _set(self, "explanation", explanation)
        _set(self, "_output", output)
        _set(self, "_fields", fields)
        _set(self, "_rendering", None)
        _set(self, "_event", None)

    @classmethod
    def deferred(
        cls,
        *,
        rule: str,
        priority: Priority,
        rendering: Rendering,
        event: Event,
        tags: tuple[str, ...],
        explanation: tuple[str, ...] = (),
    ) -> Alert:
        """An alert whose ``output`` and ``fields`` are rendered from ``event`` when read."""
        alert = cls.__new__(cls)
        _set = object.__setattr__
        _set(alert, "rule", rule)
        _set(alert, "priority", priority)
        _set(alert, "time_ns", event.time_ns)
        _set(alert, "tags", tags)
        _set(alert, "source", event.source)
        _set(alert, "explanation", explanation)
        _set(alert, "_output", None)
        _set(alert, "_fields", None)
        _set(alert, "_rendering", rendering)
        _set(alert, "_event", event)
        return alert

    @property
    def output(self) -> str:
        """The rule's output line with the event's values substituted."""
        if self._output is None:
            self._render()
        return self._output  # type: ignore[return-value]

    @property
    def fields(self) -> Mapping[str, FieldValue | None]:
        """The values of the fields the output line names, by field name."""
        if self._fields is None:
            self._render()
        return self._fields  # type: ignore[return-value]

    def _render(self) -> None:
        rendering, event = self._rendering, self._event
        if rendering is None or event is None:
            return  # another thread rendered it meanwhile (it sets the text first)
        output, fields = rendering(event)
        _set = object.__setattr__
        _set(self, "_output", output)
        _set(self, "_fields", fields)
        _set(self, "_rendering", None)  # the event is no longer needed: let it go
        _set(self, "_event", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Alert is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Alert is immutable: cannot delete {name!r}")

    def _key(self) -> tuple[object, ...]:
        return (
            self.rule,
            self.priority,
            self.output,
            self.time_ns,
            dict(self.fields),
            self.tags,
            self.source,
            self.explanation,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Alert:
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment] # equal by value, fields is a mapping

    def __repr__(self) -> str:
        return (
            f"Alert(rule={self.rule!r}, priority={self.priority!r}, output={self.output!r}, "
            f"time_ns={self.time_ns!r}, fields={dict(self.fields)!r}, tags={self.tags!r}, "
            f"source={self.source!r}, explanation={self.explanation!r})"
        )

    @property
    def time_iso(self) -> str:
        return format_time_iso(self.time_ns)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON line of ``secloop detect --format json`` (Falco's keys, plus ``fields``)."""
        return {
            "time": self.time_iso,
            "rule": self.rule,
            "priority": self.priority.label,
            "source": self.source,
            "output": self.output,
            "tags": list(self.tags),
            "fields": {key: _jsonable(value) for key, value in self.fields.items()},
            "why": list(self.explanation),
        }

    def json_line(self, repeats: int = 1) -> str:
        """``json.dumps(self.to_json_dict(), ensure_ascii=False)``, with ``repeats`` if > 1.

        The line of ``secloop detect --format json``, written by
        :func:`jsoncodec.alert_line` (orjson when installed; the text is the same).
        """
        line = jsoncodec.alert_line(
            time=self.time_iso,
            rule=self.rule,
            priority=self.priority.label,
            source=self.source,
            output=self.output,
            tags=self.tags,
            fields=self.fields,
            why=self.explanation,
            repeats=repeats,
        )
        if line is not None:
            return line
        data = self.to_json_dict()
        if repeats > 1:
            data["repeats"] = repeats
        return jsoncodec.dumps(data)

    def to_text(self) -> str:
        """A Falco-like line: ``HH:MM:SS.nnnnnnnnn: Priority output``, in UTC.

        An explained alert adds one indented ``why:`` line per reason.
        """
        seconds, nanos = divmod(self.time_ns, 1_000_000_000)
        clock = datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S")
        line = f"{clock}.{nanos:09d}: {self.priority.label} {self.output}"
        if not self.explanation:
            return line
        return "\n".join([line, *(f"    why: {reason}" for reason in self.explanation)])


def format_time_iso(time_ns: int) -> str:
    """RFC 3339 with nanoseconds in UTC, as Falco writes ``time`` in its JSON output."""
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return f"{_second_iso(seconds)}.{nanos:09d}Z"


@lru_cache(maxsize=4096)
def _second_iso(seconds: int) -> str:
    """The date and clock of one second; cached, as replayed events come in bursts."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _jsonable(value: FieldValue | None) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value
