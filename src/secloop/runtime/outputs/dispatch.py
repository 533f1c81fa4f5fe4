"""Fan alerts out: throttle once, then hand each notice to every sink in isolation.

A sink that fails (a full disk, a webhook that is down) must not stop the others
or the detection: its exception is counted against that sink and the next sink
runs. This is the one deliberate broad ``except`` of the outputs, as the engine has
one for a failing rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from secloop.runtime.event import Alert
from secloop.runtime.outputs.interface import AlertSink, Notice
from secloop.runtime.outputs.throttle import Throttle

__all__ = ["Dispatcher"]


class Dispatcher:
    def __init__(self, sinks: Sequence[AlertSink], throttle: Throttle | None = None) -> None:
        self.sinks = tuple(sinks)
        self.throttle = throttle or Throttle()
        self.emitted = 0

    def handle(self, alert: Alert) -> None:
        for notice in self.throttle.process(alert):
            self._emit(notice)

    def close(self) -> None:
        """Emit the open de-duplication summaries, then close every sink."""
        for notice in self.throttle.flush():
            self._emit(notice)
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as err:  # noqa: BLE001 - one sink must not stop the others
                sink.stats.fail(f"{sink.name}: cannot close: {err}", 0)

    def _emit(self, notice: Notice) -> None:
        self.emitted += 1
        for sink in self.sinks:
            try:
                sink.emit(notice)
            except Exception as err:  # noqa: BLE001 - one sink must not stop the others
                sink.stats.fail(f"{sink.name}: {err}")

    def summary_lines(self) -> list[str]:
        """What the run's summary reports about the outputs: losses first, per rule."""
        lines = [
            f"rate limit suppressed {count} alert(s) of rule {rule!r}"
            for rule, count in sorted(self.throttle.suppressed.items())
        ]
        lines += [
            f"de-duplication folded {count} repeated alert(s) of rule {rule!r}"
            for rule, count in sorted(self.throttle.folded.items())
        ]
        for sink in self.sinks:
            stats = sink.stats
            lines += [f"output {reason}" for reason in stats.reasons]
            if stats.failed or stats.dropped:
                lines.append(
                    f"output {sink.name}: {stats.delivered} delivered, {stats.failed} failed, "
                    f"{stats.dropped} dropped"
                )
        return lines

    @property
    def lost(self) -> int:
        """Alerts some sink could not deliver (failed or dropped)."""
        return sum(sink.stats.failed + sink.stats.dropped for sink in self.sinks)
