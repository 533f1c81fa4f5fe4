"""Secrets scanning speed: secloop vs detect-secrets and gitleaks on the same directories.

Inputs: the gitleaks part of the shared corpus (``--corpus`` for another directory) and a generated
tree of ``--files`` source/config files with planted FAKE secrets and many secret-like
non-secrets (hashes, UUIDs, base64 blobs). Each tool runs as a subprocess over the same
directory, so interpreter start-up counts for everyone; secloop is also timed
in-process (engine only). Peers run only when installed (``--peer-bin`` or PATH).
Prints wall times, MB/s and ratios. A script, not a test.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry
from secloop.scan.secrets.engine import SecretEngine

PROJECT = Path(__file__).resolve().parent.parent
#: The gitleaks part of the shared corpus: real secret-scanner fixtures, and small enough
#: (about 1.5 MB) that detect-secrets finishes in minutes rather than hours.
CORPUS = PROJECT.parent / "shared" / "corpus" / "gitleaks"

_SOURCE = '''"""Module {n}: request handling."""
import os

CHECKSUM = "{sha}"
REQUEST_ID = "{uuid}"
BLOB = "{blob}"


def handler(event, context):
    user = event.get("user", "anonymous")
    return {{"status": 200, "user": user, "region": os.environ.get("REGION", "eu")}}
'''
_CONFIG = "service:\n  name: svc-{n}\n  replicas: 3\n  image: registry.example.com/svc:{sha8}\n"


def _rand(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _planted(rng: random.Random) -> str:
    """One FAKE secret line of a random supported kind."""
    alnum = string.ascii_letters + string.digits
    choices = [
        f"GH_TOKEN = 'ghp_FAKE{_rand(rng, alnum, 32)}'",
        f"aws_secret_access_key = {_rand(rng, alnum + '+/', 40)}",
        f"STRIPE = 'sk_live_FAKE{_rand(rng, alnum, 40)}'",
        f"DATABASE_URL = 'postgres://app:{_rand(rng, alnum, 16)}@db:5432/app'",
        f"SLACK = 'xoxb-{_rand(rng, string.digits, 12)}-{_rand(rng, string.digits, 13)}-"
        f"{_rand(rng, alnum, 24)}'",
    ]
    return rng.choice(choices)


def generate(root: Path, files: int, seed: int = 7) -> int:
    """Write the tree; returns its size in bytes."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not keys
    total = 0
    for index in range(files):
        directory = root / f"pkg{index % 40}" / f"mod{index % 9}"
        directory.mkdir(parents=True, exist_ok=True)
        sha = hashlib.sha256(str(index).encode()).hexdigest()
        if index % 5 == 0:
            text = _CONFIG.format(n=index, sha8=sha[:8])
            path = directory / f"values{index}.yaml"
        else:
            blob = base64.b64encode(rng.randbytes(48)).decode()
            text = _SOURCE.format(
                n=index, sha=sha, uuid=uuid.UUID(int=rng.getrandbits(128)), blob=blob
            )
            text = text * 6
            path = directory / f"module{index}.py"
        if index % 25 == 0:
            text += _planted(rng) + "\n"
        path.write_text(text, encoding="utf-8")
        total += len(text)
    return total


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _subprocess(argv: list[str], cwd: Path | None = None) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(argv, capture_output=True, check=False, timeout=3600, cwd=cwd)

    return run


def _tools(root: Path, peer_bin: Path | None) -> dict[str, Callable[[], object]]:
    python = str(PROJECT / ".venv" / "bin" / "python")
    tools: dict[str, Callable[[], object]] = {
        "secloop (in-process)": lambda: run_scan(
            ScanRequest(spec=str(root), scanners=("secret",), use_gitignore=False),
            default_registry(),
        ),
        "secloop (cli)": _subprocess(
            [python, "-m", "secloop", "scan", "--scanners", "secret", "-f", "json",
             "--exit-code", "0", "-o", os.devnull, str(root)]
        ),
    }  # fmt: skip
    search = os.pathsep.join(filter(None, [str(peer_bin) if peer_bin else "", os.environ["PATH"]]))
    detect_secrets = shutil.which("detect-secrets", path=search)
    if detect_secrets:
        # detect-secrets scans paths relative to the working directory: given an
        # absolute path elsewhere it silently scans nothing, so run it from the root.
        tools["detect-secrets"] = _subprocess(
            [detect_secrets, "scan", "--all-files", "."], cwd=root
        )
    gitleaks = shutil.which("gitleaks", path=search)
    if gitleaks:
        tools["gitleaks"] = _subprocess(
            [gitleaks, "detect", "--no-git", "--exit-code", "0", "--source", str(root)]
        )
    return tools


def _engine_only(root: Path) -> dict[str, Callable[[], object]]:
    """The engine alone over texts already in memory: the MB/s-per-core figure of the
    issue, without walking, reading or reporting. The Aho-Corasick line is the
    prefilter of the first slice, kept as the fallback when RE2 is not installed."""
    texts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, OSError):
                continue
    engines = {
        "secloop (engine, re2)": SecretEngine(),
        "secloop (engine, a-c)": SecretEngine(use_re2=False),
    }

    def runner(engine: SecretEngine) -> Callable[[], object]:
        return lambda: [engine.scan(text) for text in texts]

    return {name: runner(engine) for name, engine in engines.items()}


def bench(label: str, root: Path, peer_bin: Path | None, repeat: int) -> None:
    size = _tree_bytes(root)
    print(f"\n== {label}: {root} ({size / 1e6:.1f} MB)")
    times: dict[str, float] = {}
    for name, run in {**_engine_only(root), **_tools(root, peer_bin)}.items():
        times[name] = min(_timed(run) for _ in range(repeat))
        print(f"  {name:22s} {times[name]:8.2f} s  {size / 1e6 / times[name]:7.1f} MB/s")
    base = times["secloop (cli)"]
    for name, seconds in times.items():
        if not name.startswith("secloop"):
            print(f"  {name} / secloop (cli): {seconds / base:.1f}x")
    missing = {"detect-secrets", "gitleaks"} - times.keys()
    if missing:
        print(f"  not installed: {', '.join(sorted(missing))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=3000, help="generated files")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--peer-bin", type=Path, default=None, help="a venv bin with peers")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    if args.corpus.is_dir():
        bench("shared corpus", args.corpus, args.peer_bin, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.files)
        bench(f"generated tree, {args.files} files", root, args.peer_bin, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
