"""Runtime detection: Falco-compatible rules evaluated over events from several sources.

Layout: :mod:`.event` (Event, Alert, Priority), :mod:`.fields` (field catalogues per
source), :mod:`.rules` (rules files, condition parser and compiler), :mod:`.engine`
(evaluation with prefilter), :mod:`.sources` (Kubernetes audit files, Falco JSON,
replay). Heavy parts load lazily: importing this package imports only the vocabulary.
"""

from __future__ import annotations

from secloop.runtime.event import Alert, Event, Priority

__all__ = ["Alert", "Event", "Priority"]
