"""Definitions collected from rules files, before compilation.

A definition keeps Falco's two positions: ``index`` (where the name was first
defined; a redefinition replaces it *in place*) and ``visibility`` (the position of
its latest definition or append). A list or macro may refer only to lists or
macros whose index is below its own visibility: that is how Falco lets an
override refer to names defined before it, and what makes reference loops an error.

:class:`SourceText` is a condition or output with the places its pieces came
from, so an offset into an appended condition still maps to the right file line.
"""

from __future__ import annotations

from dataclasses import dataclass

from secloop.runtime.event import Priority
from secloop.runtime.rules.diagnostics import Location

__all__ = [
    "ExceptionDef",
    "ExceptionValue",
    "ListDef",
    "MacroDef",
    "Piece",
    "RuleDef",
    "SourceText",
]

ExceptionValue = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Piece:
    """One YAML value inside a joined text: where it starts there, its raw source, its place."""

    offset: int
    text: str
    raw: str
    location: Location


@dataclass(frozen=True, slots=True)
class SourceText:
    text: str
    pieces: tuple[Piece, ...]

    @classmethod
    def of(cls, text: str, raw: str, location: Location) -> SourceText:
        return cls(text, (Piece(0, text, raw, location),))

    def append(self, other: SourceText) -> SourceText:
        """``self + " " + other``: Falco joins appended conditions and outputs with a space."""
        base = len(self.text) + 1
        moved = tuple(Piece(p.offset + base, p.text, p.raw, p.location) for p in other.pieces)
        return SourceText(f"{self.text} {other.text}", self.pieces + moved)

    def locate(self, offset: int) -> Location:
        """The file position of ``text[offset]``, through the raw YAML of its piece."""
        piece = self.pieces[0]
        for candidate in self.pieces:
            if candidate.offset <= offset:
                piece = candidate
        local = max(0, min(offset - piece.offset, len(piece.text)))
        wanted = sum(1 for char in piece.text[:local] if not char.isspace())
        return _walk(piece, wanted)


def _walk(piece: Piece, wanted: int) -> Location:
    """Skip ``wanted`` non-blank characters of the raw YAML; YAML folding only moves blanks."""
    seen = 0
    position = -1
    last = -1
    for index, char in enumerate(piece.raw):
        if char.isspace():
            continue
        if seen == wanted:
            position = index
            break
        seen += 1
        last = index
    if position < 0:  # past the last character: point just after it
        position = last + 1
    before = piece.raw[:position]
    lines = before.count("\n")
    if lines == 0:
        return Location(piece.location.file, piece.location.line, piece.location.column + position)
    column = position - before.rfind("\n")
    return Location(piece.location.file, piece.location.line + lines, column)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDef:
    name: str
    items: tuple[str, ...]
    location: Location
    index: int
    visibility: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MacroDef:
    name: str
    condition: SourceText
    location: Location
    index: int
    visibility: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionDef:
    """One ``exceptions:`` entry; ``single`` is the one-field shortcut (``fields: fd.name``)."""

    name: str
    fields: tuple[str, ...]
    comps: tuple[str, ...]
    values: tuple[tuple[ExceptionValue, ...], ...]
    single: bool
    location: Location


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleDef:
    name: str
    desc: str
    condition: SourceText
    output: SourceText
    priority: Priority
    source: str
    enabled: bool
    tags: tuple[str, ...]
    exceptions: tuple[ExceptionDef, ...]
    skip_if_unknown_filter: bool
    location: Location
    index: int
