"""``secloop sensor`` end to end: the real CLI process, bpftrace, Falco's stable rules,
alerts written by ``--output jsonl:PATH`` and folded by ``--dedupe-window``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.integration.runtime.conftest import FALCO_RULES

pytestmark = pytest.mark.integration


def _read_shadow_until(stop: threading.Event) -> None:
    while not stop.wait(0.5):
        subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=False)


@pytest.mark.skipif(not FALCO_RULES.is_file(), reason="Falco's stable rules are not here")
def test_sensor_command_sends_alerts_to_jsonl_and_folds_repeats(
    bpftrace_ok: None, tmp_path: Path
) -> None:
    alerts_file = tmp_path / "alerts.jsonl"
    stop = threading.Event()
    reader = threading.Thread(target=_read_shadow_until, args=(stop,))
    reader.start()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "secloop",
                "sensor",
                "--rules",
                str(FALCO_RULES),
                "--duration",
                "25",
                "--output",
                f"jsonl:{alerts_file}",
                "--dedupe-window",
                "600",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        stop.set()
        reader.join()
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # every alert went to the file, none to stdout
    alerts = [json.loads(line) for line in alerts_file.read_text().splitlines()]
    shadow = [a for a in alerts if a["rule"] == "Read sensitive file untrusted"]
    # Per distinct output: the first alert at once, one summary of its repeats at the end
    # (a summary of a single repeat carries no "repeats" key).
    outputs = [a["output"] for a in shadow]
    assert all(outputs.count(output) <= 2 for output in outputs), outputs
    folded = re.search(r"de-duplication folded (\d+) repeated alert", done.stderr)
    assert folded is not None, done.stderr
    assert int(folded.group(1)) >= 1
    assert all("file=/etc/shadow" in output for output in outputs)
    assert "Read sensitive file untrusted" in done.stderr
    assert " events, " in done.stderr
