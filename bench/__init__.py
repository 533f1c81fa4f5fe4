"""Benchmark and accuracy scripts (run them as files or with ``python -m bench.NAME``)."""
