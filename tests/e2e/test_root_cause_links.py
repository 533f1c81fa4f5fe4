"""End to end: an image built by umoci whose configuration runs as root, and the
Dockerfile without USER it is said to be built from, scanned by the real ``secloop``
process with ``--dockerfile``: both findings name each other (ADR 6)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DOCKERFILE = 'FROM scratch\nCOPY app.txt /srv/app.txt\nCMD ["/srv/app"]\n'


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """``layout:app``, built and configured with umoci (user 0), and a ``Dockerfile``."""
    if shutil.which("umoci") is None:
        pytest.skip("needs umoci (apt-get install umoci)")
    steps = [
        ("umoci", "init", "--layout", "layout"),
        ("umoci", "new", "--image", "layout:app"),
        ("umoci", "unpack", "--rootless", "--image", "layout:app", "bundle"),
    ]
    for step in steps:
        completed = _run(*step, cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr
    (tmp_path / "bundle/rootfs/srv").mkdir(parents=True)
    (tmp_path / "bundle/rootfs/srv/app.txt").write_text("hello\n", encoding="utf-8")
    for step in [
        ("umoci", "repack", "--refresh-bundle", "--image", "layout:app", "bundle"),
        ("umoci", "config", "--image", "layout:app", "--config.user=0"),
    ]:
        completed = _run(*step, cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr
    (tmp_path / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    return tmp_path


def test_image_and_dockerfile_findings_name_each_other(workdir: Path) -> None:
    completed = _run(
        sys.executable, "-m", "secloop", "image", "layout:app", "--dockerfile", "Dockerfile",
        "--scanners", "misconfig,secret", "--format", "json", "--quiet", cwd=workdir,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr  # findings at or above the gate
    document: dict[str, Any] = json.loads(completed.stdout)
    found = {f["rule_id"]: f for f in document["findings"]}
    image, dockerfile = found["SL-IMG-001"], found["SL-DF-002"]
    assert image["message"] == "the image runs as '0'"
    assert dockerfile["location"] == {"path": "Dockerfile", "start_line": 1, "end_line": 1}
    assert image["related"] == [
        {
            "fingerprint": dockerfile["fingerprint"],
            "rule_id": "SL-DF-002",
            "location": "Dockerfile:1",
            "root_cause": "runs-as-root",
        }
    ]
    assert dockerfile["related"] == [
        {
            "fingerprint": image["fingerprint"],
            "rule_id": "SL-IMG-001",
            "location": "(image config)",
            "root_cause": "runs-as-root",
        }
    ]
