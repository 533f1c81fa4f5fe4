"""YAML with positions: rules files read into nodes that remember file, line and column.

Falco reads rules with yaml-cpp, where every scalar is text until a field asks
for a type; PyYAML's safe loader would turn ``items: [yes, 80]`` into
``[True, 80]``. So this module composes the node graph and keeps scalars as text
(``None`` only for a plain empty/null scalar), with the source span of each
node: that is what lets every diagnostic name its file, line and column, and lets
a syntax error inside a folded ``condition: >`` block point at the right line.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from secloop.runtime.rules.diagnostics import Location

__all__ = ["YMap", "YNode", "YScalar", "YSeq", "YamlSyntaxError", "read_documents"]

_NULL_TAG = "tag:yaml.org,2002:null"


class YamlSyntaxError(Exception):
    """The text is not YAML; ``location`` points at the problem."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


@dataclass(frozen=True, slots=True)
class YScalar:
    value: str | None
    quoted: bool
    location: Location
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class YSeq:
    items: tuple[YNode, ...]
    location: Location
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class YMap:
    """A mapping; keys are the scalar texts, ``keys`` keeps their positions."""

    entries: dict[str, YNode]
    keys: dict[str, Location]
    location: Location
    start: int
    end: int


YNode = YScalar | YSeq | YMap


def read_documents(text: str, file: str) -> list[YNode | None]:
    """Every document of ``text`` (Falco accepts ``---``-separated documents)."""
    loader = yaml.SafeLoader(text)
    documents: list[YNode | None] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append(None if node is None else _convert(node, file))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        problem = err.problem or err.context or "invalid YAML"
        message = f"yaml error at line {line}, column {column}: {problem}"
        raise YamlSyntaxError(message, Location(file, line, column)) from err
    except yaml.YAMLError as err:
        raise YamlSyntaxError(f"yaml error: {err}", Location(file, 1, 1)) from err
    finally:
        loader.dispose()
    return documents


def _location(node: yaml.Node, file: str) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, file: str) -> YNode:
    where = _location(node, file)
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.ScalarNode):
        plain = node.style is None
        value: str | None = node.value
        if plain and node.tag == _NULL_TAG:
            value = None
        return YScalar(value, not plain and node.style in ('"', "'"), where, start, end)
    if isinstance(node, yaml.SequenceNode):
        items = tuple(_convert(child, file) for child in node.value)
        return YSeq(items, where, start, end)
    if not isinstance(node, yaml.MappingNode):
        raise YamlSyntaxError("unsupported YAML node", where)
    entries: dict[str, YNode] = {}
    keys: dict[str, Location] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
        entries[key] = _convert(value_node, file)
        keys[key] = _location(key_node, file)
    return YMap(entries, keys, where, start, end)
