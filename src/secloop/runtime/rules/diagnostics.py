"""Problems found while loading rules files, as values: collected, never raised.

Codes are Falco's (``LOAD_ERR_YAML_VALIDATE``, ``LOAD_UNUSED_MACRO``, ...) so users
who know Falco's ``-V`` output recognise them. Errors disable what they touch (a
rule, a macro, a whole file when it is not YAML); warnings change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Code", "Diagnostic", "Level", "Location"]


class Level(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(Enum):
    LOAD_ERR_FILE_READ = "LOAD_ERR_FILE_READ"
    LOAD_ERR_YAML_PARSE = "LOAD_ERR_YAML_PARSE"
    LOAD_ERR_YAML_VALIDATE = "LOAD_ERR_YAML_VALIDATE"
    LOAD_ERR_VALIDATE = "LOAD_ERR_VALIDATE"
    LOAD_ERR_COMPILE_CONDITION = "LOAD_ERR_COMPILE_CONDITION"
    LOAD_ERR_COMPILE_OUTPUT = "LOAD_ERR_COMPILE_OUTPUT"
    LOAD_UNKNOWN_SOURCE = "LOAD_UNKNOWN_SOURCE"
    LOAD_UNKNOWN_FILTER = "LOAD_UNKNOWN_FILTER"
    LOAD_UNUSED_MACRO = "LOAD_UNUSED_MACRO"
    LOAD_UNUSED_LIST = "LOAD_UNUSED_LIST"
    LOAD_UNKNOWN_ITEM = "LOAD_UNKNOWN_ITEM"
    LOAD_UNKNOWN_KEY = "LOAD_UNKNOWN_KEY"
    LOAD_DEPRECATED_ITEM = "LOAD_DEPRECATED_ITEM"
    LOAD_APPEND_NO_VALUES = "LOAD_APPEND_NO_VALUES"
    LOAD_IGNORED_ITEM = "LOAD_IGNORED_ITEM"


@dataclass(frozen=True, slots=True)
class Location:
    """1-based line and column in a rules file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    level: Level
    code: Code
    message: str
    location: Location
    item_type: str = ""
    item_name: str = ""

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def render(self) -> str:
        """``file:line:col: error: rule 'name': message [CODE]``, one line for terminals and CI."""
        item = f"{self.item_type} '{self.item_name}': " if self.item_type else ""
        return f"{self.location}: {self.level.value}: {item}{self.message} [{self.code.value}]"
