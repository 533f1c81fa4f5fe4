"""Event sources, in one explicit table: name -> how to open it for a path.

File sources: ``k8s_audit`` (audit log files), ``falco_json`` (Falco's JSON output)
and ``tetragon`` (Tetragon's JSON export), each readable once or followed as
``tail -F`` does. Live sources: the audit webhook endpoint
(:class:`~secloop.runtime.sources.k8s_webhook.AuditWebhookSource`, imported where
used so that uvicorn stays optional) and the eBPF sensor. ``ReplaySource`` is the
list-backed fake for tests.
"""

from __future__ import annotations

from pathlib import Path

from secloop.runtime.sources.falco_json import FalcoJsonSource
from secloop.runtime.sources.follow import FollowConfig
from secloop.runtime.sources.interface import (
    EventSource,
    FileSource,
    SourceLimits,
    SourceStats,
)
from secloop.runtime.sources.k8s_audit import K8sAuditSource
from secloop.runtime.sources.replay import ReplaySource
from secloop.runtime.sources.tetragon import TetragonSource

__all__ = [
    "SOURCE_NAMES",
    "EventSource",
    "FalcoJsonSource",
    "FileSource",
    "FollowConfig",
    "K8sAuditSource",
    "ReplaySource",
    "SourceLimits",
    "SourceStats",
    "TetragonSource",
    "open_source",
]

_FILE_SOURCES: dict[str, type[FileSource]] = {
    "k8s_audit": K8sAuditSource,
    "falco_json": FalcoJsonSource,
    "tetragon": TetragonSource,
}
SOURCE_NAMES = tuple(_FILE_SOURCES)


def open_source(
    name: str,
    path: Path | str,
    limits: SourceLimits | None = None,
    *,
    follow: FollowConfig | None = None,
) -> FileSource:
    """The file-backed source ``name`` over ``path``; KeyError for an unknown name."""
    return _FILE_SOURCES[name](path, limits, follow=follow)
