"""Alert outputs: sinks behind one interface, with per-rule throttling in front.

``stdout`` and ``jsonl:PATH`` (:mod:`.stream`), ``webhook:URL`` (:mod:`.webhook`),
``server:URL`` (:mod:`.findings`, runtime findings on the findings server); the
:class:`~.dispatch.Dispatcher` throttles (:mod:`.throttle`) and isolates the sinks.
"""
