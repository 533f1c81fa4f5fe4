"""Secrets in git history: time and peak memory of ``secloop secrets --git`` on N commits.

A repository of ``--commits`` commits (10,000 by default, the issue's figure) is built
with ``git fast-import`` in a temporary directory: each commit adds a few lines of
realistic source to one of ``--files`` files, and every ``--plant-every``-th commit
plants a FAKE credential (some of them removed again by a later commit, so only the
history holds them). secloop then runs as a subprocess; its wall time, CPU time and
peak resident memory come from ``os.wait4``. Run it twice with different ``--commits``
to see that memory does not grow with the history (the scan streams ``git log -p``).
A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import subprocess
import tempfile
import time
from pathlib import Path

HEADER = "# FAKE credentials planted by bench/bench_history.py; none of them is real.\n"


def _fake_github_token(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "ghp_" + "".join(rng.choice(alphabet) for _ in range(36))


def _source_line(rng: random.Random, index: int) -> str:
    name = rng.choice(["total", "count", "items", "result", "buffer", "offset"])
    return f"    {name}_{index} = compute({rng.randint(0, 10_000)}, '{rng.random():.6f}')\n"


def _fast_import_stream(commits: int, files: int, plant_every: int, seed: int) -> bytes:
    """A ``git fast-import`` stream: one blob-inline modify per commit, on one branch."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not keys
    contents = [HEADER + f"def module_{i}():\n" for i in range(files)]
    parts: list[bytes] = []
    when = 1_700_000_000
    for number in range(1, commits + 1):
        target = rng.randrange(files)
        added = "".join(_source_line(rng, number * 10 + k) for k in range(3))
        if number % plant_every == 0:
            added += f"    token_{number} = '{_fake_github_token(rng)}'\n"
        elif number % (plant_every * 2 + 1) == 0:  # a later commit removes a planted line
            kept = [line for line in contents[target].splitlines(True) if "token_" not in line]
            contents[target] = "".join(kept)
        contents[target] += added
        data = contents[target].encode()
        message = f"change {number}\n".encode()
        parts += [
            b"commit refs/heads/main\n",
            b"committer Bench <bench@example.invalid> %d +0000\n" % (when + number),
            b"data %d\n%s" % (len(message), message),
            *([b"from refs/heads/main^0\n"] if number > 1 else []),
            b"M 100644 inline src/module_%d.py\n" % target,
            b"data %d\n%s\n" % (len(data), data),
        ]
    return b"".join(parts)


def build_repository(root: Path, commits: int, files: int, plant_every: int) -> float:
    """Create the repository; returns the seconds it took."""
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = _fast_import_stream(commits, files, plant_every, seed=commits)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=stream, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    return time.perf_counter() - started


def run_secloop(secloop: str, repository: Path) -> tuple[float, float, int, int]:
    """Wall s, CPU s, peak RSS KiB and findings of ``secloop secrets --git``."""
    report = repository.parent / "history.json"
    argv = [secloop, "secrets", "--git", str(repository), "-f", "json", "-o", str(report)]
    argv += ["--exit-code", "0", "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(argv)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"secloop exited {os.waitstatus_to_exitcode(status)}")
    findings = len(json.loads(report.read_text(encoding="utf-8"))["findings"])
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--plant-every", type=int, default=50)
    parser.add_argument("--secloop", default=shutil.which("secloop") or ".venv/bin/secloop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="secloop-history-") as tmp:
        repository = Path(tmp) / "repo"
        built = build_repository(repository, args.commits, args.files, args.plant_every)
        planted = args.commits // args.plant_every
        print(f"repository: {args.commits} commits, {args.files} files, built in {built:.1f} s")
        wall, cpu, rss_kib, findings = run_secloop(args.secloop, repository)
        print(
            f"secloop secrets --git: {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"peak RSS {rss_kib / 1024:.1f} MiB, {args.commits / wall:,.0f} commits/s"
        )
        print(f"findings: {findings} (planted {planted} FAKE tokens)")


if __name__ == "__main__":
    main()
