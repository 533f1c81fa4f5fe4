"""One parse per file for every misconfiguration scanner that reads it as YAML/JSON.

The engine reads a file once and hands the same :class:`FileContent` object to every
plugin that wants it, one plugin after the other. The kubernetes, ``pss`` and ``rego``
scanners all want the documents of a manifest; parsing (with a line map) is most of
their cost, so the first one to ask parses and the others reuse that result.

The cache holds one entry per thread: the last content parsed and its stream. It is
keyed by the content object's identity (held strongly, so the identity cannot be
reused by another object while cached), which means a different file, or the same
path in another scan, always misses. Parsed documents are never mutated by a check.
"""

from __future__ import annotations

import threading

from secloop.scan.interface import FileContent
from secloop.scan.misconfig.documents import ParsedStream, parse_stream

__all__ = ["parsed_stream"]


class _LastParsed(threading.local):
    content: FileContent | None = None
    stream: ParsedStream | None = None


_last = _LastParsed()


def parsed_stream(content: FileContent) -> ParsedStream:
    """The documents of ``content`` (JSON for ``.json``, else a YAML stream), parsed once."""
    if _last.content is content and _last.stream is not None:
        return _last.stream
    path = content.entry.path
    stream = parse_stream(content.text, json_syntax=path.lower().endswith(".json"))
    _last.content, _last.stream = content, stream
    return stream
