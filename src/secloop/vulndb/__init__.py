"""The vulnerability database: OSV ingest, a local SQLite index, version schemes, matching.

Layering: this capability imports only :mod:`secloop.core` (and third-party parsers);
:mod:`secloop.scan` imports it, never the reverse.
"""
