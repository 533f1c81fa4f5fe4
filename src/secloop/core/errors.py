"""The one error hierarchy of secloop.

Every error a user can see derives from :class:`Error`, carries a message written
for that user and the process exit code it maps to. The CLI catches only
:class:`Error`; anything else is a bug and is reported as one.

::

    Error                         exit 3: the tool could not do its job
    ├── UsageError                exit 2: the user asked for something invalid
    │   └── ConfigError           a configuration or policy file is invalid
    ├── TargetError               the target cannot be opened at all
    ├── NothingScannedError       fail closed: no input could be scanned
    ├── InputError                one input (file, layer, document) is unusable;
    │                             recorded in the coverage manifest, the scan goes on
    └── ReportError               a report (baseline, import) cannot be read

Who is at fault decides the branch: the user's request (UsageError), the data
(InputError, ReportError: fail closed), or the environment (TargetError).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "EXIT_TOOL_FAILURE",
    "EXIT_USAGE",
    "ConfigError",
    "Error",
    "InputError",
    "NothingScannedError",
    "ReportError",
    "TargetError",
    "UsageError",
]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_TOOL_FAILURE = 3


class Error(Exception):
    """Root of every secloop error; ``str(err)`` is the user-facing message."""

    exit_code: ClassVar[int] = EXIT_TOOL_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(Error):
    """The user asked for something invalid: an unknown option value, scanner or key."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration, ignore or policy file is malformed or has unknown keys."""


class TargetError(Error):
    """The scan target does not exist or cannot be opened."""


class NothingScannedError(Error):
    """No input at all could be scanned; the result would prove nothing (fail closed)."""


class InputError(Error):
    """One input cannot be decoded or parsed; the scan records it and goes on."""


class ReportError(Error):
    """A report file (a baseline, an imported scan) cannot be read."""
