"""Event sources, in one explicit table: name -> how to open it for a path.

``k8s_audit`` (audit log files), ``falco_json`` (Falco's JSON output) and the
list-backed ``ReplaySource`` for tests. The eBPF sensor, Tetragon export, the
audit webhook endpoint and NATS come later (issue #8).
"""

from __future__ import annotations

from pathlib import Path

from secloop.runtime.sources.falco_json import FalcoJsonSource
from secloop.runtime.sources.interface import EventSource, SourceLimits, SourceStats
from secloop.runtime.sources.k8s_audit import K8sAuditSource
from secloop.runtime.sources.replay import ReplaySource

__all__ = [
    "SOURCE_NAMES",
    "EventSource",
    "FalcoJsonSource",
    "K8sAuditSource",
    "ReplaySource",
    "SourceLimits",
    "SourceStats",
    "open_source",
]

SOURCE_NAMES = ("k8s_audit", "falco_json")


def open_source(name: str, path: Path | str, limits: SourceLimits | None = None) -> EventSource:
    """The file-backed source ``name`` over ``path``; KeyError for an unknown name."""
    if name == "k8s_audit":
        return K8sAuditSource(path, limits)
    if name == "falco_json":
        return FalcoJsonSource(path, limits)
    raise KeyError(name)
