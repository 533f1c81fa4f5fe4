"""Throughput of the scan pipeline itself: walk, read, dispatch, on a generated tree.

Generates N files in nested directories (with a .gitignore and some ignored and binary
files), then times ``secloop scan`` in-process with every shipped scanner, and the bare
walk, over several repetitions. Prints files per second for each.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from secloop.scan.artifact.fs import DirectoryArtifact
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import ScanLimits
from secloop.scan.registry import default_registry

_PY = "import os\n\n\ndef handler(event):\n    return os.environ.get('NAME', 'x')\n" * 4
_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{n}\ndata:\n  key: value\n"


def generate(root: Path, files: int) -> None:
    (root / ".gitignore").write_text("build/\n*.log\n")
    for index in range(files):
        directory = root / f"pkg{index % 50}" / f"mod{index % 7}"
        directory.mkdir(parents=True, exist_ok=True)
        match index % 10:
            case 0:
                (directory / f"config{index}.yaml").write_text(_YAML.format(n=index))
            case 1:
                (directory / f"blob{index}.bin").write_bytes(bytes(range(256)) * 4)
            case 2:
                (directory / f"trace{index}.log").write_text("log line\n" * 20)
            case _:
                (directory / f"module{index}.py").write_text(_PY)


def time_walk(root: Path) -> float:
    start = time.perf_counter()
    for _ in DirectoryArtifact(root, limits=ScanLimits()).walk():
        pass
    return time.perf_counter() - start


def time_scan(root: Path) -> float:
    start = time.perf_counter()
    run_scan(ScanRequest(spec=str(root)), default_registry())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.files)
        walks = [time_walk(root) for _ in range(args.repeat)]
        scans = [time_scan(root) for _ in range(args.repeat)]
    walk, scan = statistics.median(walks), statistics.median(scans)
    print(f"files: {args.files}  (median of {args.repeat})")
    print(f"walk only:      {walk:8.3f} s  {args.files / walk:12,.0f} files/s")
    print(f"full pipeline:  {scan:8.3f} s  {args.files / scan:12,.0f} files/s")


if __name__ == "__main__":
    main()
