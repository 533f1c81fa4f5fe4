"""The eBPF sensor: bpftrace probes -> raw records -> syscall events (issue #8).

Modules: ``program`` (the generated bpftrace program), ``wire`` (its output
lines, untrusted), ``procs`` (process table, users, containers), ``hosts`` (host names,
capabilities, Docker's container settings), ``events``
(Falco field names), ``source`` (the subprocess, an ``EventSource``).
"""
