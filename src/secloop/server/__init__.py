"""The secloop findings server (extra ``server``): ingest, correlate, track.

An entry point beside :mod:`secloop.cli`: it may import every capability, and nothing
imports it. Importers (:mod:`secloop.server.ingest`) and correlation
(:mod:`secloop.server.correlate`) work on core values only; only
:mod:`secloop.server.storage` knows database rows.
"""
