"""A small element tree with source lines, for the XML manifests (``pom.xml``, Gradle's
``verification-metadata.xml``), read with defusedxml.

The standard element tree keeps no line numbers, and findings point at the line of
each dependency. The parser is defusedxml's, so entity expansion ("billion laughs")
and external entities in an untrusted manifest raise instead of being followed; DTDs
are refused too, since no manifest format here has one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from secloop.scan.interface import ScanError

__all__ = ["XmlNode", "parse_xml"]


@dataclass(slots=True)
class XmlNode:
    """An element: its tag without namespace, attributes, text, children and 1-based line.

    Mutable only while the parser builds it; the parse functions never change it after.
    """

    tag: str
    attributes: dict[str, str]
    line: int
    children: list[XmlNode] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> XmlNode | None:
        for node in self.children:
            if node.tag == tag:
                return node
        return None

    def children_named(self, tag: str) -> Iterator[XmlNode]:
        return (node for node in self.children if node.tag == tag)

    def child_text(self, tag: str) -> str | None:
        """The stripped text of the first child ``tag``; None when there is none."""
        node = self.child(tag)
        return None if node is None else node.text.strip()


def _local(tag: str) -> str:
    """``{namespace}name`` -> ``name``: POMs are written with and without the namespace."""
    return tag.rsplit("}", 1)[-1]


class _Builder:
    """The parser's target: builds :class:`XmlNode` with the line of each start tag."""

    def __init__(self, parser_class: type[DefusedXMLParser]) -> None:
        self.parser = parser_class(target=self, forbid_dtd=True)
        self._stack: list[XmlNode] = []
        self.root: XmlNode | None = None

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        line = int(self.parser.parser.CurrentLineNumber)
        node = XmlNode(tag=_local(tag), attributes=dict(attributes), line=line)
        if self._stack:
            self._stack[-1].children.append(node)
        else:
            self.root = node
        self._stack.append(node)

    def end(self, tag: str) -> None:
        self._stack.pop()

    def data(self, text: str) -> None:
        self._stack[-1].text += text  # expat reports no character data outside the root

    def close(self) -> XmlNode | None:
        return self.root


def parse_xml(text: str, path: str) -> XmlNode:
    """The document's root element; ScanError naming ``path`` for anything else."""
    builder = _Builder(DefusedXMLParser)
    try:
        builder.parser.feed(text)
        builder.parser.close()
    except ParseError as err:
        raise ScanError(
            f"{path}: could not extract from file: not valid XML (XML syntax error: {err})"
        ) from None
    except DefusedXmlException as err:
        raise ScanError(
            f"{path}: could not extract from file: refused XML construct ({err})"
        ) from None
    if builder.root is None:  # pragma: no cover - expat rejects a document without one
        raise ScanError(f"{path}: could not extract from file: no XML element")
    return builder.root
