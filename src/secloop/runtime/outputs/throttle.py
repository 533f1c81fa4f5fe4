"""Per-rule rate limits and de-duplication windows between the engine and the sinks.

So that a noisy rule cannot drown the rest. Time is the alert's own time (the
event's), so a replay throttles as the live run would have. Steps for one alert:

1. de-duplication: an alert with the same rule and output line as one emitted less
   than ``dedupe_window`` seconds before is *folded*: not emitted, counted. When the
   window has passed (noticed when a later alert arrives, and at :meth:`flush`), one
   summary notice goes out carrying the number folded (``repeats``), so the count of
   what happened is never lost;
2. rate limit: a token bucket per rule (``rate`` alerts per second, ``burst`` at
   once); an alert finding the bucket empty is *suppressed* and counted per rule;
   summaries of step (1) are not rate limited (there is at most one per window);
3. both counts are reported in the run's summary.

The settings are per rule, with a default; :func:`load_throttle_file` reads them from
a small YAML file.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from secloop.core.errors import ConfigError, UsageError
from secloop.runtime.event import Alert
from secloop.runtime.outputs.interface import Notice

__all__ = [
    "Throttle",
    "ThrottleConfig",
    "ThrottleSettings",
    "load_throttle_file",
    "parse_rate",
]

_NS = 1_000_000_000
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_PER |= {"h": 3600, "hour": 3600}


def parse_rate(text: str) -> float:
    """``N/s``, ``N/m`` or ``N/h`` as alerts per second; UsageError otherwise."""
    match = _RATE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise UsageError(f"rate limit {text!r}: expected a positive N/s, N/m or N/h, e.g. 5/s")
    return float(match.group(1)) / _PER[match.group(2)]


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """For one rule: ``rate`` per second (None: unlimited), ``burst``, window in seconds."""

    rate: float | None = None
    burst: float | None = None
    dedupe_window: float = 0.0

    @property
    def capacity(self) -> float:
        return self.burst if self.burst is not None else max(1.0, self.rate or 1.0)


@dataclass(frozen=True, slots=True)
class ThrottleConfig:
    default: ThrottleSettings = field(default_factory=ThrottleSettings)
    rules: dict[str, ThrottleSettings] = field(default_factory=dict)

    def for_rule(self, rule: str) -> ThrottleSettings:
        return self.rules.get(rule, self.default)

    @property
    def active(self) -> bool:
        settings = [self.default, *self.rules.values()]
        return any(s.rate is not None or s.dedupe_window > 0 for s in settings)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    last_ns: int


@dataclass(slots=True)
class _Window:
    end_ns: int
    folded: int = 0
    last: Alert | None = None


class Throttle:
    """Applies a :class:`ThrottleConfig`; see the module docstring for the steps."""

    def __init__(self, config: ThrottleConfig | None = None, *, max_windows: int = 100_000) -> None:
        self.config = config or ThrottleConfig()
        self.max_windows = max_windows  # distinct open windows; past it, alerts are not folded
        self.suppressed: Counter[str] = Counter()
        self.folded: Counter[str] = Counter()
        self._buckets: dict[str, _Bucket] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._ends: list[tuple[int, tuple[str, str]]] = []

    def process(self, alert: Alert) -> list[Notice]:
        """The notices to emit now: summaries of closed windows, then maybe ``alert``."""
        notices = self._close_windows(alert.time_ns)
        settings = self.config.for_rule(alert.rule)
        if settings.dedupe_window > 0 and self._fold(alert, settings):  # (1)
            return notices
        if settings.rate is not None and not self._take_token(alert, settings):  # (2)
            self.suppressed[alert.rule] += 1
            return notices
        notices.append(Notice(alert))
        return notices

    def flush(self) -> list[Notice]:
        """Summaries of every window still open (at the end of the run)."""
        notices = [self._summary(window) for window in self._windows.values()]
        self._windows.clear()
        self._ends.clear()
        return [n for n in notices if n is not None]

    def _fold(self, alert: Alert, settings: ThrottleSettings) -> bool:
        key = (alert.rule, alert.output)
        window = self._windows.get(key)
        if window is not None:
            window.folded += 1
            window.last = alert
            self.folded[alert.rule] += 1
            return True
        if len(self._windows) >= self.max_windows:
            return False  # bounded memory: emit rather than remember one more output line
        end = alert.time_ns + int(settings.dedupe_window * _NS)
        self._windows[key] = _Window(end_ns=end)
        heapq.heappush(self._ends, (end, key))
        return False

    def _close_windows(self, now_ns: int) -> list[Notice]:
        notices: list[Notice] = []
        while self._ends and self._ends[0][0] <= now_ns:
            _, key = heapq.heappop(self._ends)
            summary = self._summary(self._windows.pop(key))
            if summary is not None:
                notices.append(summary)
        return notices

    @staticmethod
    def _summary(window: _Window) -> Notice | None:
        if window.last is None:
            return None
        return Notice(window.last, repeats=window.folded)

    def _take_token(self, alert: Alert, settings: ThrottleSettings) -> bool:
        rate = settings.rate or 0.0
        bucket = self._buckets.get(alert.rule)
        if bucket is None:
            bucket = self._buckets[alert.rule] = _Bucket(settings.capacity, alert.time_ns)
        elapsed = max(0, alert.time_ns - bucket.last_ns) / _NS  # out-of-order: no refill
        bucket.tokens = min(settings.capacity, bucket.tokens + elapsed * rate)
        bucket.last_ns = max(bucket.last_ns, alert.time_ns)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True


class _SettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_limit: str | None = None
    burst: float | None = None
    dedupe_window: float = 0.0

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_rate(value)
            except UsageError as err:
                raise ValueError(err.message) from None
        return value

    @field_validator("burst", "dedupe_window")
    @classmethod
    def _not_negative(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError("must not be negative")
        return value

    def settings(self, base: ThrottleSettings | None = None) -> ThrottleSettings:
        given = self.model_fields_set
        base = base or ThrottleSettings()
        rate = parse_rate(self.rate_limit) if self.rate_limit else None
        return ThrottleSettings(
            rate=rate if "rate_limit" in given else base.rate,
            burst=self.burst if "burst" in given else base.burst,
            dedupe_window=self.dedupe_window if "dedupe_window" in given else base.dedupe_window,
        )


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: _SettingsModel = _SettingsModel()
    rules: dict[str, _SettingsModel] = {}


def load_throttle_file(path: Path, base: ThrottleSettings | None = None) -> ThrottleConfig:
    """Per-rule settings from YAML: ``default:`` and ``rules: {name: settings}``.

    Unset keys fall back to ``default``, which falls back to ``base`` (the command
    line's ``--rate-limit`` and ``--dedupe-window``).
    """
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        model = _FileModel.model_validate(data)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the throttle file: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not YAML: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    default = model.default.settings(base)
    rules = {name: item.settings(default) for name, item in model.rules.items()}
    return ThrottleConfig(default=default, rules=rules)
