"""Speed (and, on the generated tree, accuracy) of secloop's Python scanner vs Bandit/Semgrep.

Two inputs: Bandit's example corpus (../shared/corpus/bandit-examples, when present)
and a deterministic generated tree of realistic modules with planted insecure calls
next to safe look-alikes. secloop runs in-process (read + parse + analyse every file,
best of N runs); Bandit (``bandit -r``) and Semgrep (a small local rule file,
``--metrics=off``) run as subprocesses when found, so their times include start-up,
as a user would see them. Install the peers outside the project venv::

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install bandit semgrep
    .venv/bin/python bench/bench_sast.py --modules 400 --peers /tmp/peers/bin
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from secloop.scan.code.python.scanner import PythonCodeScanner
from secloop.scan.interface import FileContent, FileEntry, ScanError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bandit-examples" / "examples"
HEADER = '''"""Orders service module {n}: generated for the SAST benchmark."""

import hashlib
import hmac
import json
import logging
import os
import pickle
import random
import ssl
import subprocess
import tarfile
import tempfile

import requests
import yaml
from flask import request

LIMIT = {n}
log = logging.getLogger(__name__)
'''
#: (rule id or None for a safe look-alike, function body lines; the last line is the sink)
PLANTS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    ("PY-SQLI-001", ("cur.execute(f\"SELECT * FROM orders WHERE id = {arg}\")",)),
    (None, ("cur.execute(\"SELECT * FROM orders WHERE id = ?\", (arg,))",)),
    ("PY-CMDI-001", ("subprocess.run(\"tar czf \" + arg, shell=True)",)),
    (None, ("subprocess.run([\"tar\", \"czf\", arg], check=True)",)),
    ("PY-CMDI-002", ("os.system(\"ping -c1 \" + arg)",)),
    (None, ("os.system(\"uptime\")",)),
    ("PY-DESER-001", ("pickle.loads(arg)",)),
    (None, ("json.loads(arg)",)),
    ("PY-DESER-003", ("yaml.load(arg)",)),
    (None, ("yaml.safe_load(arg)",)),
    ("PY-TLS-001", ("requests.get(arg, timeout=5, verify=False)",)),
    (None, ("requests.get(arg, timeout=5)",)),
    ("PY-HASH-001", ("hashlib.md5(arg).hexdigest()",)),
    (None, ("hashlib.md5(arg, usedforsecurity=False).hexdigest()",)),
    ("PY-TMP-001", ("tempfile.mktemp()",)),
    (None, ("tempfile.mkstemp()",)),
    ("PY-CODE-001", ("eval(arg)",)),
    (None, ("eval(\"1 + 1\")",)),
    ("PY-SSRF-001", ("url = request.args[\"callback\"]", "requests.post(url, timeout=5)")),
    (None, ("uid = request.args[\"id\"]",
            "requests.get(\"https://api.example.com/u/\" + uid, timeout=5)")),
    ("PY-RAND-001", ("reset_token = random.getrandbits(64)",)),
    (None, ("jitter = random.uniform(0.5, 1.5)",)),
    ("PY-TIMING-001", ("ok = hmac.new(b\"k\", arg, \"sha256\").hexdigest() == cur.signature",)),
    (None, ("digest = hmac.new(b\"k\", arg, \"sha256\").hexdigest()",
            "ok = hmac.compare_digest(digest, cur.signature)")),
    ("PY-LOG-001", ("api_key = cur.api_key", "log.info(\"calling with %s\", api_key)")),
    (None, ("api_key = cur.api_key", "log.info(\"key length %d\", len(api_key))")),
    ("PY-COOKIE-001", ("cur.set_cookie(\"sid\", arg)",)),
    (None, ("cur.set_cookie(\"sid\", arg, secure=True, httponly=True, samesite=\"Lax\")",)),
    ("PY-TAR-001", ("archive = tarfile.open(arg)", "archive.extractall(\"/srv/data\")")),
    (None, ("archive = tarfile.open(arg)", "archive.extractall(\"/srv/data\", filter=\"data\")")),
    ("PY-TLS-004", ("context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)",)),
    (None, ("context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",)),
)  # fmt: skip
SEMGREP_RULES = """rules:
  - id: shell-true
    languages: [python]
    severity: ERROR
    message: shell
    pattern: subprocess.run($X, ..., shell=True, ...)
  - id: pickle-loads
    languages: [python]
    severity: ERROR
    message: pickle
    pattern: pickle.loads(...)
  - id: verify-false
    languages: [python]
    severity: ERROR
    message: tls
    pattern: requests.$M(..., verify=False, ...)
  - id: md5
    languages: [python]
    severity: WARNING
    message: md5
    pattern: hashlib.md5(...)
"""

Truth = set[tuple[str, int, str]]


def generate(root: Path, modules: int) -> Truth:
    """Write ``modules`` files under ``root``; return the planted (path, line, rule) set."""
    truth: Truth = set()
    for n in range(modules):
        lines = HEADER.format(n=n).splitlines()
        for index, (rule, body) in enumerate(PLANTS):
            lines += ["", "", f"def handler_{index}(cur, arg):"]
            lines += [f"    {line}" for line in body]
            if rule is not None:
                truth.add((f"svc{n % 20}/mod{n}.py", len(lines), rule))
            lines.append("    return LIMIT")
        path = root / f"svc{n % 20}" / f"mod{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def scan_with_secloop(root: Path) -> tuple[Truth, int]:
    scanner = PythonCodeScanner()
    found: Truth = set()
    errors = 0
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        relative = path.relative_to(root).as_posix()
        content = FileContent(entry=FileEntry(path=relative, size=len(data)), data=data)
        try:
            for finding in scanner.scan_file(content):
                found.add((relative, finding.location.start_line or 0, finding.rule_id))
        except ScanError:
            errors += 1
    return found, errors


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def run_tool(command: list[str]) -> None:
    subprocess.run(command, check=False, capture_output=True, timeout=900)


def peer_commands(peers: Path | None, root: Path, rules: Path) -> dict[str, list[str]]:
    def find(name: str) -> str | None:
        if peers is not None and (peers / name).exists():
            return str(peers / name)
        return shutil.which(name)

    commands: dict[str, list[str]] = {}
    if bandit := find("bandit"):
        commands["bandit"] = [bandit, "-r", str(root), "-q", "-f", "json", "-o", "/dev/null"]
    if semgrep := find("semgrep"):
        commands["semgrep"] = [semgrep, "scan", "--config", str(rules), "--metrics=off",
                               "--disable-version-check", "-q", "--json", "-o", "/dev/null",
                               str(root)]  # fmt: skip
    return commands


def bench(name: str, root: Path, runs: int, peers: Path | None, rules: Path) -> None:
    files = len(list(root.rglob("*.py")))
    ours = best_of(runs, lambda: scan_with_secloop(root))
    print(f"\n{name}: {files} .py files")
    print(f"  secloop python  {ours:8.3f} s  ({files / ours:,.0f} files/s)")
    for tool, command in peer_commands(peers, root, rules).items():
        theirs = best_of(max(1, runs // 2), lambda c=command: run_tool(c))  # type: ignore[misc]
        print(f"  {tool:<14} {theirs:8.3f} s  ({theirs / ours:5.1f}x secloop's time)")


def accuracy(root: Path, truth: Truth) -> None:
    found, errors = scan_with_secloop(root)
    planted_rules = {rule for _, _, rule in truth}
    relevant = {item for item in found if item[2] in planted_rules}
    true_positives = len(relevant & truth)
    recall = true_positives / len(truth)
    precision = true_positives / len(relevant) if relevant else 0.0
    counts = f"{true_positives}/{len(truth)} planted, {len(relevant)} reported, {errors} errors"
    print(f"  accuracy on planted calls: recall {recall:.3f}, precision {precision:.3f} ({counts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", type=Path, default=Path("/tmp/peers/bin"))  # noqa: S108
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        rules = Path(temp) / "semgrep-rules.yaml"
        rules.write_text(SEMGREP_RULES, encoding="utf-8")
        if CORPUS.is_dir():
            bench("bandit corpus", CORPUS, args.runs, args.peers, rules)
        tree = Path(temp) / "tree"
        truth = generate(tree, args.modules)
        bench(f"generated tree ({args.modules} modules)", tree, args.runs, args.peers, rules)
        accuracy(tree, truth)


if __name__ == "__main__":
    main()
