"""YAML and JSON documents as plain values, with the line of every key and value.

Checks work on plain ``dict``/``list``/scalar values, but a finding must point at the
offending line, so parsing goes through the YAML *composer* (node marks) rather than
``yaml.safe_load``. libyaml's C composer is used when PyYAML was built with it: it is
an order of magnitude faster than the pure-Python one.

A stream is split into documents on ``---`` lines *before* parsing, so one malformed
document costs only itself: the others are still parsed, and the bad one is reported
with its line and reason.

Limits (untrusted input): nesting depth and the number of nodes a document expands to
(aliases are re-walked, so an alias bomb would otherwise expand exponentially).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "Document",
    "DocumentError",
    "FieldPath",
    "ParsedStream",
    "parse_json",
    "parse_stream",
    "parse_yaml",
]

#: A path into a document: mapping keys and sequence indexes, outermost first.
FieldPath = tuple[str | int, ...]

_BaseLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

#: Plain scalars whose resolved tag is remembered: short ones (names, images, numbers,
#: booleans: the values manifests repeat), a bounded number of them.
_RESOLVED_MAX_LENGTH = 64
_RESOLVED_MAX_ENTRIES = 20_000


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, remembering the tag each plain scalar resolves to.

    Resolving a plain scalar tries the implicit resolvers' regular expressions (int,
    float, bool, null, timestamp...) on it, and manifests repeat the same few hundred
    values thousands of times; it was a tenth of the parse. Without path resolvers
    (the safe loader has none) the tag of a plain scalar depends on its text only, so
    the answer is kept per text. Quoted scalars and collections are not looked up.
    """

    _resolved: ClassVar[dict[str, str]] = {}

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not implicit[0] or len(value) > _RESOLVED_MAX_LENGTH:
            return super().resolve(kind, value, implicit)
        resolved = self._resolved
        tag = resolved.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(resolved) >= _RESOLVED_MAX_ENTRIES:
                resolved.clear()
            resolved[value] = tag
        return tag


_DOC_SEPARATOR = re.compile(r"^---(?=\s|$)", re.MULTILINE)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
MAX_DEPTH = 64
MAX_NODES = 500_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One parsed document: its value and the (line, column) of every field.

    ``positions`` maps a field path to where the field is written: for a mapping entry
    the key's position (the line a reader looks at), for a sequence item the item's.
    Lines and columns are 1-based.
    """

    index: int
    value: Any
    start_line: int
    positions: Mapping[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int:
        """The line of ``path``, else of its nearest ancestor that exists."""
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found[0]
        return self.start_line

    def position_of(self, path: FieldPath) -> tuple[int, int]:
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return (self.start_line, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentError:
    """A document that could not be parsed, and why (for the user, not for a check)."""

    index: int
    line: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedStream:
    documents: tuple[Document, ...] = ()
    errors: tuple[DocumentError, ...] = ()


class _LimitExceededError(Exception):
    """Internal: the document exceeds a limit; becomes a DocumentError."""


class _Builder:
    """Turns a composed node tree into plain values plus a position map."""

    def __init__(self, line_offset: int) -> None:
        self._offset = line_offset
        self._constructor = SafeConstructor()
        self._nodes = 0
        self.positions: dict[FieldPath, tuple[int, int]] = {}

    def _mark(self, node: Node) -> tuple[int, int]:
        mark = node.start_mark
        return (mark.line + 1 + self._offset, mark.column + 1)

    def build(self, node: Node, path: FieldPath, depth: int) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _LimitExceededError(f"more than {MAX_NODES} nodes (alias expansion?)")
        if depth > MAX_DEPTH:
            raise _LimitExceededError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            items: list[Any] = []
            for index, child in enumerate(node.value):
                child_path = (*path, index)
                self.positions.setdefault(child_path, self._mark(child))
                items.append(self.build(child, child_path, depth + 1))
            return items
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        constructor = SafeConstructor.yaml_constructors.get(node.tag)
        if constructor is None or node.tag == _STR_TAG:
            return node.value
        try:
            return constructor(self._constructor, node)
        except (ConstructorError, ValueError, OverflowError):
            return node.value

    def _mapping(self, node: MappingNode, path: FieldPath, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        positions, offset = self.positions, self._offset
        # Plain string values (most of a manifest) are taken here, not through build():
        # the same count and limits, without a call per scalar.
        inline_strings = depth + 1 <= MAX_DEPTH
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag == _STR_TAG and type(key_node) is ScalarNode:
                key: Any = key_node.value
            elif key_tag == _MERGE_TAG:
                self._merge(result, value_node, path, depth)
                continue
            else:
                key = self._scalar(key_node) if isinstance(key_node, ScalarNode) else None
                if key is None or isinstance(key, (list, dict)):
                    continue  # complex keys are not part of any manifest schema
            child_path = (*path, key if isinstance(key, (str, int)) else str(key))
            mark = key_node.start_mark
            positions[child_path] = (mark.line + 1 + offset, mark.column + 1)
            if inline_strings and value_node.tag == _STR_TAG and type(value_node) is ScalarNode:
                self._nodes += 1
                if self._nodes > MAX_NODES:
                    raise _LimitExceededError(f"more than {MAX_NODES} nodes (alias expansion?)")
                result[key] = value_node.value
            else:
                result[key] = self.build(value_node, child_path, depth + 1)
        return result

    def _merge(self, result: dict[Any, Any], node: Node, path: FieldPath, depth: int) -> None:
        """``<<: *anchor`` (or a list of anchors): explicit keys win, as YAML 1.1 says."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            merged = self.build(source, path, depth + 1)
            if isinstance(merged, dict):
                for key, value in merged.items():
                    result.setdefault(key, value)


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split a stream on ``---`` lines; each chunk keeps its starting line offset."""
    starts = [0] + [m.start() for m in _DOC_SEPARATOR.finditer(text) if m.start() > 0]
    chunks: list[tuple[int, str]] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunks.append((text.count("\n", 0, start), text[start:end]))
    return chunks


def _error_line(err: yaml.YAMLError, offset: int) -> int:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    return offset + (mark.line + 1 if mark is not None else 1)


def _error_reason(err: yaml.YAMLError) -> str:
    problem = getattr(err, "problem", None)
    context = getattr(err, "context", None)
    parts = [p for p in (context, problem) if p]
    return " ".join(parts) if parts else type(err).__name__


def _parse_chunk(chunk: str, offset: int, index: int) -> Document | DocumentError | None:
    try:
        node = yaml.compose(chunk, Loader=_Loader)
    except yaml.YAMLError as err:
        return DocumentError(index=index, line=_error_line(err, offset), reason=_error_reason(err))
    except RecursionError:
        return DocumentError(index=index, line=offset + 1, reason="nested too deeply")
    if node is None:
        return None
    builder = _Builder(offset)
    try:
        value = builder.build(node, (), 0)
    except _LimitExceededError as err:
        return DocumentError(index=index, line=offset + 1, reason=f"document {err}")
    start = node.start_mark.line + 1 + offset
    return Document(index=index, value=value, start_line=start, positions=builder.positions)


def parse_yaml(text: str) -> ParsedStream:
    """Every document of a YAML stream; malformed ones become errors, the rest still parse."""
    documents: list[Document] = []
    errors: list[DocumentError] = []
    for index, (offset, chunk) in enumerate(_chunks(text)):
        parsed = _parse_chunk(chunk, offset, index)
        if isinstance(parsed, Document):
            documents.append(parsed)
        elif isinstance(parsed, DocumentError):
            errors.append(parsed)
    return ParsedStream(documents=tuple(documents), errors=tuple(errors))


def parse_json(text: str) -> ParsedStream:
    """A JSON document with line numbers (via the YAML composer: JSON is YAML's subset).

    The few JSON texts PyYAML's YAML 1.1 reader rejects (tab indentation, ``\\/``
    escapes) still parse with :mod:`json`, only without a line map.
    """
    parsed = _parse_chunk(text, 0, 0)
    if isinstance(parsed, Document):
        return ParsedStream(documents=(parsed,))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return ParsedStream(errors=(DocumentError(index=0, line=err.lineno, reason=err.msg),))
    except RecursionError:
        return ParsedStream(errors=(DocumentError(index=0, line=1, reason="nested too deeply"),))
    return ParsedStream(documents=(Document(index=0, value=value, start_line=1),))


def parse_stream(text: str, *, json_syntax: bool) -> ParsedStream:
    return parse_json(text) if json_syntax else parse_yaml(text)
