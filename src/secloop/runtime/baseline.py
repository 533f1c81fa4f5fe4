"""Behaviour baselines per workload: learn what a workload does, alert on anything new.

Rules describe known-bad behaviour; a baseline describes a workload's *normal*
behaviour, so that what no rule foresaw still stands out. ``secloop detect
--baseline FILE --baseline-mode learn`` records, per workload, the values of a
few *aspects*; ``--baseline-mode enforce`` raises ``secloop.baseline.<aspect>``
for every value the baseline lacks (once per workload, aspect and value).

Workload of an event, first that applies:

* ``k8s:<namespace>/<owner>``: a pod, named by its owner (``web-7d4b9c-x2x9z`` ->
  ``web``, ``db-0`` -> ``db``), so the replicas of one Deployment share a baseline;
* ``image:<repository>``: a container whose image is known;
* ``container:<id>``: any other container;
* ``host:<hostname>``: a host process (``host:local`` when the event has no hostname);
* ``k8s-api:<namespace>`` (``k8s-api:cluster`` for cluster-scoped objects): audit events.

Aspects: ``process`` (executable path, else name, of each exec), ``parent_child``
(``parent -> child`` names), ``outbound`` (``ip:port`` of a connect, else its
``fd.name``), ``file_write`` (the directory written to, cut to
:data:`WRITE_PREFIX_DEPTH` levels) and ``k8s_api`` (``user verb resource[/sub]``).
At most :data:`MAX_VALUES` values per aspect and workload are learnt; the excess
is counted, never silently dropped.

The file is JSON with sorted keys and values, one value per line: a reviewer can
read it, edit it and diff it in a pull request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from secloop.core.errors import ReportError
from secloop.runtime.event import Alert, Event, FieldValue, Priority
from secloop.runtime.fields import catalogue_for

__all__ = [
    "ASPECTS",
    "FORMAT",
    "MAX_VALUES",
    "VERSION",
    "WRITE_PREFIX_DEPTH",
    "Baseline",
    "BaselineEnforcer",
    "BaselineError",
    "BaselineLearner",
    "BaselineStats",
    "Mode",
    "observations",
    "workload_of",
]

FORMAT = "secloop-baseline"
VERSION = 1
ASPECTS = ("process", "parent_child", "outbound", "file_write", "k8s_api")
MAX_VALUES = 1_000
WRITE_PREFIX_DEPTH = 3
MAX_REPORTED = 100_000  # distinct (workload, aspect, value) alerts remembered per run

# A ReplicaSet pod: <owner>-<template hash>-<5 random>; a StatefulSet pod: <owner>-<ordinal>;
# a Job or DaemonSet pod: <owner>-<5 random>.
_REPLICA_POD = re.compile(r"^(?P<owner>.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
_ORDINAL_POD = re.compile(r"^(?P<owner>.+)-\d+$")
_RANDOM_POD = re.compile(r"^(?P<owner>.+)-[a-z0-9]{5}$")
_EXEC_TYPES = frozenset({"execve", "execveat"})
_OPEN_TYPES = frozenset({"open", "openat", "openat2", "creat"})

Observation = tuple[str, str]  # (aspect, value)
Getter = Callable[[Event], FieldValue | None]


class BaselineError(ReportError):
    """A baseline file cannot be read: the message names the file and the reason."""


class Mode(Enum):
    LEARN = "learn"
    ENFORCE = "enforce"


@dataclass(slots=True)
class Baseline:
    """Per workload, per aspect, the values seen."""

    workloads: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def knows(self, workload: str) -> bool:
        return workload in self.workloads

    def has(self, workload: str, aspect: str, value: str) -> bool:
        return value in self.workloads.get(workload, {}).get(aspect, ())

    def add(self, workload: str, aspect: str, value: str) -> bool:
        """Record a value; False when the aspect is full (:data:`MAX_VALUES`)."""
        values = self.workloads.setdefault(workload, {}).setdefault(aspect, set())
        if value in values:
            return True
        if len(values) >= MAX_VALUES:
            return False
        values.add(value)
        return True

    def merge(self, other: Baseline) -> None:
        for workload, aspects in other.workloads.items():
            for aspect, values in aspects.items():
                for value in sorted(values):
                    self.add(workload, aspect, value)

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "version": VERSION,
            "workloads": {
                workload: {
                    aspect: sorted(values) for aspect, values in sorted(aspects.items()) if values
                }
                for workload, aspects in sorted(self.workloads.items())
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees half a baseline."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(self.to_json(), encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise BaselineError(f"{path}: cannot read the baseline: {err.strerror}") from err
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BaselineError(f"{path}: not a JSON baseline file: {err}") from err
        return cls.from_document(document, str(path))

    @classmethod
    def from_document(cls, document: Any, name: str) -> Baseline:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BaselineError(f'{name}: not a secloop baseline ("format": "{FORMAT}")')
        if document.get("version") != VERSION:
            raise BaselineError(
                f"{name}: baseline version {document.get('version')!r} is not supported "
                f"(this secloop reads version {VERSION})"
            )
        workloads = document.get("workloads")
        if not isinstance(workloads, dict):
            raise BaselineError(f'{name}: "workloads" must be an object')
        baseline = cls()
        for workload, aspects in workloads.items():
            if not isinstance(aspects, dict):
                raise BaselineError(f"{name}: workload {workload!r} must map aspects to lists")
            for aspect, values in aspects.items():
                if aspect not in ASPECTS:
                    raise BaselineError(
                        f"{name}: workload {workload!r}: unknown aspect {aspect!r} "
                        f"(known: {', '.join(ASPECTS)})"
                    )
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise BaselineError(
                        f"{name}: workload {workload!r}: {aspect} must be a list of strings"
                    )
                for value in values:
                    baseline.add(workload, aspect, value)
            baseline.workloads.setdefault(workload, {})
        return baseline


@dataclass(slots=True)
class BaselineStats:
    events: int = 0
    observations: int = 0
    new_values: int = 0
    over_limit: int = 0
    unkeyed: int = 0


class _Fields:
    """The extractors baselines read, per source (built once)."""

    def __init__(self, source: str, names: tuple[str, ...]) -> None:
        catalogue = catalogue_for(source)
        self.get: dict[str, Getter] = {name: catalogue.extractor(name) for name in names}

    def __call__(self, name: str, event: Event) -> str | None:
        value = self.get[name](event)
        if value is None or isinstance(value, tuple):
            return None
        text = str(value)
        return text or None


_SYSCALL = _Fields(
    "syscall",
    (
        "k8s.ns.name",
        "k8s.pod.name",
        "container.image.repository",
        "container.image",
        "container.id",
        "evt.hostname",
        "evt.type",
        "proc.exepath",
        "proc.name",
        "proc.pname",
        "fd.sip",
        "fd.sport",
        "fd.name",
        "evt.is_open_write",
    ),
)
_AUDIT = _Fields(
    "k8s_audit",
    (
        "ka.user.name",
        "ka.verb",
        "ka.target.resource",
        "ka.target.subresource",
        "ka.target.namespace",
    ),
)


def pod_owner(pod: str) -> str:
    """The owner part of a generated pod name (``web-7d4b9c8f5-x2x9z`` -> ``web``)."""
    for pattern in (_REPLICA_POD, _ORDINAL_POD, _RANDOM_POD):
        found = pattern.match(pod)
        if found is not None:
            return found.group("owner")
    return pod


def workload_of(event: Event) -> str | None:
    """The workload key of ``event``, or None for a source baselines do not cover."""
    if event.source == "k8s_audit":
        return f"k8s-api:{_AUDIT('ka.target.namespace', event) or 'cluster'}"
    if event.source != "syscall":
        return None
    namespace, pod = _SYSCALL("k8s.ns.name", event), _SYSCALL("k8s.pod.name", event)
    if namespace and pod:
        return f"k8s:{namespace}/{pod_owner(pod)}"
    container = _SYSCALL("container.id", event)
    if container and container != "host":
        image = _SYSCALL("container.image.repository", event) or _SYSCALL("container.image", event)
        return f"image:{image}" if image else f"container:{container}"
    return f"host:{_SYSCALL('evt.hostname', event) or 'local'}"


def observations(event: Event) -> Iterator[Observation]:
    """The (aspect, value) pairs ``event`` shows."""
    if event.source == "k8s_audit":
        yield from _audit_observations(event)
    elif event.source == "syscall":
        yield from _syscall_observations(event)


def _audit_observations(event: Event) -> Iterator[Observation]:
    user, verb = _AUDIT("ka.user.name", event), _AUDIT("ka.verb", event)
    resource = _AUDIT("ka.target.resource", event)
    if user and verb:
        sub = _AUDIT("ka.target.subresource", event)
        target = (resource or "-") + (f"/{sub}" if sub else "")
        yield "k8s_api", f"{user} {verb} {target}"


def _syscall_observations(event: Event) -> Iterator[Observation]:
    kind = _SYSCALL("evt.type", event)
    if kind in _EXEC_TYPES:
        executable = _SYSCALL("proc.exepath", event) or _SYSCALL("proc.name", event)
        if executable:
            yield "process", executable
        parent, child = _SYSCALL("proc.pname", event), _SYSCALL("proc.name", event)
        if parent and child:
            yield "parent_child", f"{parent} -> {child}"
    elif kind == "connect":
        address, port = _SYSCALL("fd.sip", event), _SYSCALL("fd.sport", event)
        destination = f"{address}:{port}" if address and port else _SYSCALL("fd.name", event)
        if destination:
            yield "outbound", destination
    elif kind in _OPEN_TYPES and _SYSCALL.get["evt.is_open_write"](event) is True:
        path = _SYSCALL("fd.name", event)
        if path and path.startswith("/"):
            yield "file_write", write_prefix(path)


def write_prefix(path: str) -> str:
    """The directory of ``path``, cut to :data:`WRITE_PREFIX_DEPTH` levels (``/`` at least)."""
    parts = [part for part in path.split("/")[:-1] if part]
    return "/" + "/".join(parts[:WRITE_PREFIX_DEPTH])


class BaselineLearner:
    """Learn mode: records every observation; raises no alert."""

    def __init__(self, baseline: Baseline | None = None) -> None:
        self.baseline = baseline or Baseline()
        self.stats = BaselineStats()

    def process(self, event: Event) -> list[Alert]:
        self.stats.events += 1
        workload = workload_of(event)
        if workload is None:
            self.stats.unkeyed += 1
            return []
        self.baseline.workloads.setdefault(workload, {})
        for aspect, value in observations(event):
            self.stats.observations += 1
            if not self.baseline.has(workload, aspect, value):
                if self.baseline.add(workload, aspect, value):
                    self.stats.new_values += 1
                else:
                    self.stats.over_limit += 1
        return []


class BaselineEnforcer:
    """Enforce mode: an alert for each value (and each workload) the baseline lacks."""

    def __init__(self, baseline: Baseline, *, priority: Priority = Priority.WARNING) -> None:
        self.baseline = baseline
        self.priority = priority
        self.stats = BaselineStats()
        self._reported: set[tuple[str, str, str]] = set()

    def process(self, event: Event) -> list[Alert]:
        self.stats.events += 1
        workload = workload_of(event)
        if workload is None:
            self.stats.unkeyed += 1
            return []
        if not self.baseline.knows(workload):
            alert = self._new(event, workload, "workload", workload)
            return [] if alert is None else [alert]
        alerts: list[Alert] = []
        for aspect, value in observations(event):
            self.stats.observations += 1
            if not self.baseline.has(workload, aspect, value):
                alert = self._new(event, workload, aspect, value)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    def _new(self, event: Event, workload: str, aspect: str, value: str) -> Alert | None:
        """The alert for a new value, or None when this run already reported it."""
        key = (workload, aspect, value)
        if key in self._reported:
            return None
        if len(self._reported) < MAX_REPORTED:
            self._reported.add(key)
        self.stats.new_values += 1
        noun = "workload not in the baseline" if aspect == "workload" else f"new {aspect}"
        fields: Mapping[str, FieldValue | None] = {
            "workload": workload,
            "aspect": aspect,
            "value": value,
        }
        return Alert(
            rule=f"secloop.baseline.{aspect}",
            priority=self.priority,
            output=f"Behaviour outside the baseline: {noun} (workload={workload} value={value})",
            time_ns=event.time_ns,
            fields=fields,
            tags=("secloop", "baseline", aspect),
            source=event.source,
        )
