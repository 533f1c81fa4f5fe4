"""Fixtures of the sensor's integration tests: whether bpftrace can run here at all."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CORPUS = Path(__file__).parents[3] / "../shared/corpus/falco-rules/rules"
FALCO_RULES = CORPUS / "falco_rules.yaml"
SANDBOX_RULES = CORPUS / "falco-sandbox_rules.yaml"


@pytest.fixture(scope="session")
def bpftrace_ok() -> None:
    """Skip unless bpftrace can attach one tracepoint here (mounting tracefs if needed)."""
    if os.geteuid() != 0:
        pytest.skip("the eBPF sensor needs root")
    if shutil.which("bpftrace") is None:
        pytest.skip("bpftrace is not installed (apt-get install bpftrace)")
    if not Path("/sys/kernel/tracing/events").is_dir():
        subprocess.run(
            ["/bin/mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"], check=False
        )
    probe = subprocess.run(
        ["bpftrace", "-e", "tracepoint:syscalls:sys_enter_getpid { exit(); }", "-c", "/bin/true"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"bpftrace cannot attach here: {probe.stderr.strip()[-400:]}")
