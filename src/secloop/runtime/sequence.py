"""Sequence rules: alert when several events happen in order, per key, within a window.

Falco evaluates one event at a time. A sequence rule correlates events: "a shell
spawned in a container, then an outbound connect from it, then a write below
/etc", each step a Falco condition, all on the same key (``container.id``,
``proc.pid``, ``user.name``, ``k8s.ns.name`` + ``k8s.pod.name`` ...), the whole
within a duration. Sequences live in their own YAML file (``secloop detect
--sequences FILE``) so that the Falco rules files stay loadable by Falco; their
conditions may use every macro and list of the rules files loaded with them::

    - sequence: Shell then connect then write below etc
      desc: ...
      source: syscall            # default: syscall
      by: [container.id]
      within: 5m                 # ms, s, m, h; a bare number is seconds
      priority: CRITICAL
      output: "... %container.id %proc.name"   # rendered on the last step's event
      tags: [mitre_execution]
      steps:
        - name: shell
          condition: spawned_process and container and proc.name in (shell_binaries)
        - name: connect
          condition: evt.type = connect and fd.typechar = 4

Matching: per sequence and key, one partial match at a time (the earliest). An
event advances it by at most one step; a match older than ``within`` (counted
from its first step) is dropped when its key is next seen. An event whose key
fields are missing is ignored by that sequence. Memory is bounded: at most
``max_keys`` partial matches per sequence, the least recently advanced evicted
first, and counted in :class:`SequenceStats`.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secloop.core.errors import ConfigError, UsageError
from secloop.runtime.errors import ConditionSyntaxError
from secloop.runtime.event import Alert, Event, FieldValue, Priority, format_time_iso
from secloop.runtime.fields import catalogue_for
from secloop.runtime.fields.base import Extractor
from secloop.runtime.rules.compiler import CompileError, Predicate, compile_condition
from secloop.runtime.rules.loader import Collector
from secloop.runtime.rules.output import OutputError, OutputTemplate, compile_output, render_value
from secloop.runtime.rules.parser import parse_condition, parse_field_text
from secloop.runtime.rules.resolve import MacroResolver, ResolveError, compile_lists, flatten

__all__ = [
    "DEFAULT_MAX_KEYS",
    "ConditionContext",
    "Sequence",
    "SequenceEngine",
    "SequenceError",
    "SequenceStats",
    "Step",
    "load_sequences",
    "parse_duration",
]

DEFAULT_MAX_KEYS = 10_000
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_NS = {"ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_KEYS = {"sequence", "desc", "source", "by", "within", "priority", "output", "tags", "steps"}
_REQUIRED = ("by", "within", "steps", "output", "priority")


class SequenceError(ConfigError):
    """A sequences file cannot be used: the message names the file, the item and why."""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    condition: str
    predicate: Predicate


@dataclass(frozen=True, slots=True, kw_only=True)
class Sequence:
    name: str
    desc: str
    source: str
    by: tuple[str, ...]
    keys: tuple[Extractor, ...]
    within_ns: int
    priority: Priority
    output: OutputTemplate
    tags: tuple[str, ...]
    steps: tuple[Step, ...]


@dataclass(slots=True)
class SequenceStats:
    started: int = 0
    completed: int = 0
    expired: int = 0
    evicted: int = 0
    tracked: int = 0
    step_errors: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class _Partial:
    """A sequence matched up to ``len(steps)`` steps: each step's time and field values."""

    start_ns: int
    steps: list[tuple[int, dict[str, FieldValue | None]]]


def parse_duration(text: object) -> int:
    """``"500ms"``, ``"30s"``, ``"5m"``, ``"1h"`` or a number of seconds, in nanoseconds."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"not a duration: {text!r}")  # noqa: TRY004 - a user's value, not a bug
    found = _DURATION.match(str(text))
    if found is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 500ms, 30s, 5m, 1h)")
    nanos = int(float(found.group(1)) * _UNIT_NS[found.group(2) or "s"])
    if nanos <= 0:
        raise ValueError(f"a duration must be positive, not {text!r}")
    return nanos


class ConditionContext:
    """Compiles step conditions against the macros and lists of Falco rules files."""

    def __init__(self, collector: Collector) -> None:
        lists, _ = compile_lists(collector.lists)
        parsed: dict[str, Any] = {}
        for name, macro in collector.macros.items():
            try:
                parsed[name] = parse_condition(macro.condition.text)
            except ConditionSyntaxError:
                parsed[name] = None  # reported by the rules loader; unusable here
        self._resolver = MacroResolver(collector.macros, parsed, lists)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> ConditionContext:
        collector = Collector()
        collector.load_files(paths)
        return cls(collector)

    def compile(self, text: str, source: str) -> Predicate:
        """The predicate of ``text``; raises ValueError with a readable reason."""
        try:
            node = self._resolver.expand(parse_condition(text))
            return compile_condition(flatten(node), catalogue_for(source))
        except ConditionSyntaxError as err:
            raise ValueError(f"{err} (at offset {err.offset})") from err
        except (ResolveError, CompileError) as err:
            raise ValueError(err.message) from err


def load_sequences(path: Path, context: ConditionContext) -> tuple[Sequence, ...]:
    """Every sequence of ``path``; raises SequenceError naming the item and the problem."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SequenceError(f"{path}: cannot read sequences file: {err}") from err
    if document is None:
        return ()
    if not isinstance(document, list):
        raise SequenceError(f"{path}: expected a list of '- sequence:' items")
    sequences: list[Sequence] = []
    names: set[str] = set()
    for number, item in enumerate(document, 1):
        label = f"{path}: item {number}"
        if isinstance(item, dict) and isinstance(item.get("sequence"), str):
            label = f"{path}: sequence {item['sequence']!r}"
        try:
            sequence = _sequence(item, context)
        except ValueError as err:
            raise SequenceError(f"{label}: {err}") from err
        if sequence.name in names:
            raise SequenceError(f"{label}: defined twice")
        names.add(sequence.name)
        sequences.append(sequence)
    return tuple(sequences)


def _sequence(item: object, context: ConditionContext) -> Sequence:
    if not isinstance(item, dict) or not isinstance(item.get("sequence"), str):
        raise ValueError("each item must be a mapping with a 'sequence: NAME' key")  # noqa: TRY004
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(map(str, unknown))}")
    missing = [key for key in _REQUIRED if key not in item]
    if missing:
        raise ValueError(f"missing key(s) {', '.join(missing)}")
    source = _text(item.get("source", "syscall"), "source")
    try:
        catalogue = catalogue_for(source)
    except KeyError:
        raise ValueError(f"unknown source {source!r}") from None
    by = _strings(item["by"], "by")
    keys: list[Extractor] = []
    for name in by:
        ref = parse_field_text(name)
        if ref is None or catalogue.check_arg(ref.name, ref.arg) is not None:
            raise ValueError(f"by: {name!r} is not a field of source {source}")
        keys.append(catalogue.extractor(ref.name, ref.arg))
    try:
        output = compile_output(_text(item["output"], "output"), catalogue)
    except OutputError as err:
        raise ValueError(f"output: {err.message}") from err
    return Sequence(
        name=item["sequence"],
        desc=str(item.get("desc", "")),
        source=source,
        by=by,
        keys=tuple(keys),
        within_ns=parse_duration(item["within"]),
        priority=_priority(item["priority"]),
        output=output,
        tags=_strings(item.get("tags", []), "tags", allow_empty=True),
        steps=_steps(item["steps"], source, context),
    )


def _steps(raw: object, source: str, context: ConditionContext) -> tuple[Step, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise ValueError("steps: a list of at least two steps is needed")
    steps: list[Step] = []
    for number, entry in enumerate(raw, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("condition"), str):
            raise ValueError(  # noqa: TRY004 - reported to the user as a bad value
                f"steps[{number}]: a mapping with a 'condition' string is needed"
            )
        name = str(entry.get("name", f"step{number}"))
        try:
            predicate = context.compile(entry["condition"], source)
        except ValueError as err:
            raise ValueError(f"steps[{number}] ({name}): {err}") from err
        steps.append(Step(name, entry["condition"], predicate))
    return tuple(steps)


def _priority(value: object) -> Priority:
    try:
        return Priority.parse(_text(value, "priority"))
    except UsageError as err:
        raise ValueError(f"priority: {err}") from err


def _text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key}: a non-empty string is needed")
    return value


def _strings(value: object, key: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key}: a string or a list of strings is needed")
    if not value and not allow_empty:
        raise ValueError(f"{key}: at least one field is needed")
    return tuple(value)


class SequenceEngine:
    """Tracks partial matches of sequences over a stream of events; raises alerts."""

    def __init__(self, sequences: Iterable[Sequence], *, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.sequences = tuple(sequences)
        self.max_keys = max_keys
        self.stats = SequenceStats()
        self._state: dict[str, OrderedDict[tuple[object, ...], _Partial]] = {
            sequence.name: OrderedDict() for sequence in self.sequences
        }

    def process(self, event: Event) -> list[Alert]:
        alerts: list[Alert] = []
        for sequence in self.sequences:
            if sequence.source == event.source:
                alert = self._advance(sequence, event)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    def _advance(self, sequence: Sequence, event: Event) -> Alert | None:
        key = tuple(get(event) for get in sequence.keys)
        if any(value is None for value in key):
            return None
        table = self._state[sequence.name]
        partial = table.get(key)
        if partial is not None and event.time_ns - partial.start_ns > sequence.within_ns:
            del table[key]
            self.stats.expired += 1
            self.stats.tracked -= 1
            partial = None
        position = 0 if partial is None else len(partial.steps)
        if not self._matches(sequence, position, event):
            return None
        values = sequence.output.render(event)[1]
        if partial is None:
            self._track(table, key, _Partial(event.time_ns, [(event.time_ns, values)]))
            return None
        partial.steps.append((event.time_ns, values))
        if len(partial.steps) < len(sequence.steps):
            table.move_to_end(key)
            return None
        del table[key]
        self.stats.tracked -= 1
        self.stats.completed += 1
        return _alert(sequence, event, partial)

    def _matches(self, sequence: Sequence, position: int, event: Event) -> bool:
        step = sequence.steps[position]
        try:
            return bool(step.predicate(event))
        except Exception:  # noqa: BLE001 - one failing step must not stop the stream
            self.stats.step_errors[f"{sequence.name}/{step.name}"] += 1
            return False

    def _track(
        self,
        table: OrderedDict[tuple[object, ...], _Partial],
        key: tuple[object, ...],
        new: _Partial,
    ) -> None:
        table[key] = new
        self.stats.started += 1
        self.stats.tracked += 1
        if len(table) > self.max_keys:
            table.popitem(last=False)
            self.stats.evicted += 1
            self.stats.tracked -= 1


def _alert(sequence: Sequence, event: Event, partial: _Partial) -> Alert:
    output, values = sequence.output.render(event)
    fields: dict[str, FieldValue | None] = dict(values)
    lines: list[str] = []
    for number, (step, (time_ns, step_values)) in enumerate(
        zip(sequence.steps, partial.steps, strict=True), 1
    ):
        fields[f"step{number}.time"] = format_time_iso(time_ns)
        for name, value in step_values.items():
            fields[f"step{number}.{name}"] = value
        shown = ", ".join(f"{name}={render_value(v)}" for name, v in step_values.items())
        lines.append(
            f"step {number}/{len(sequence.steps)} {step.name} at {format_time_iso(time_ns)}"
            + (f": {shown}" if shown else "")
        )
    return Alert(
        rule=sequence.name,
        priority=sequence.priority,
        output=output,
        time_ns=event.time_ns,
        fields=fields,
        tags=sequence.tags,
        source=event.source,
        explanation=tuple(lines),
    )
