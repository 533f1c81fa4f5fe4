"""Errors of the runtime detection capability.

::

    secloop.core.errors.Error
    ├── UsageError
    │   └── ConfigError
    │       └── RulesError             a rules file cannot be used at all (no rule loaded)
    └── InputError
        ├── ConditionSyntaxError      a condition or output template does not parse
        └── EventError                one event cannot be decoded; the source counts it and goes on

Problems inside a rules file are not raised: the loader collects them as
:class:`secloop.runtime.rules.diagnostics.Diagnostic` values so that one bad rule
never hides the others (Falco's behaviour), and ``secloop rules check`` can print
them all at once.
"""

from __future__ import annotations

from secloop.core.errors import ConfigError, InputError

__all__ = ["ConditionSyntaxError", "EventError", "RulesError"]


class RulesError(ConfigError):
    """No usable rule is left after loading: detection would prove nothing (fail closed)."""


class ConditionSyntaxError(InputError):
    """A condition does not parse; ``offset`` is the 0-based position in the condition text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class EventError(InputError):
    """One event is not usable (not JSON, not an audit event, too large)."""
