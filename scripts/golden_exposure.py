"""Regenerate (or check) tests/golden/exposure.workloads.json.

The ``workloads`` section of secloop's JSON report for a real scan (kubernetes scanner
only) of tests/fixtures/misconfig/exposure/: Ingress, Gateway API route, NodePort,
host port, a headless Service that selects nothing, a Job nothing reaches.

Usage::

    python scripts/golden_exposure.py          # rewrite the file
    python scripts/golden_exposure.py --check  # exit 1 when it differs
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from secloop.output.json_format import result_to_document
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry

__all__ = ["FIXTURE_DIR", "GOLDEN_PATH", "render"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "misconfig" / "exposure"
GOLDEN_PATH = ROOT / "tests" / "golden" / "exposure.workloads.json"


def render() -> str:
    result = run_scan(
        ScanRequest(spec=str(FIXTURE_DIR), scanners=("kubernetes",)), default_registry()
    )
    workloads = result_to_document(result)["workloads"]
    return json.dumps(workloads, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = GOLDEN_PATH.exists() and GOLDEN_PATH.read_text(encoding="utf-8") == text
        if not same:
            print(f"drifted: {GOLDEN_PATH}", file=sys.stderr)
        return 0 if same else 1
    GOLDEN_PATH.write_text(text, encoding="utf-8", newline="")
    print(f"wrote {GOLDEN_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
