"""Secrets in git history: time and peak memory of ``secloop secrets --git`` on N commits.

A repository of ``--commits`` commits (10,000 by default, the issue's figure) is built
with ``git fast-import`` in a temporary directory: each commit adds a few lines of
realistic source to one of ``--files`` files, and every ``--plant-every``-th commit
plants a FAKE credential (some of them removed again by a later commit, so only the
history holds them). secloop then runs as a subprocess that reports its own peak
resident memory (``git log`` runs as its child and is reported apart). Run it with
several ``--commits`` to see that secloop's memory does not grow with the history (the
scan streams ``git log -p``).
A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HEADER = "# FAKE credentials planted by bench/bench_history.py; none of them is real.\n"


def _fake_github_token(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "ghp_" + "".join(rng.choice(alphabet) for _ in range(36))


def _source_line(rng: random.Random, index: int) -> str:
    name = rng.choice(["total", "count", "items", "result", "buffer", "offset"])
    return f"    {name}_{index} = compute({rng.randint(0, 10_000)}, '{rng.random():.6f}')\n"


def _fast_import_stream(commits: int, files: int, plant_every: int, seed: int) -> Iterator[bytes]:
    """A ``git fast-import`` stream, commit by commit: one blob-inline modify per commit,
    on one branch (each commit's parent is the branch's previous commit in the stream)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not keys
    contents = [HEADER + f"def module_{i}():\n" for i in range(files)]
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
        yield b"".join(
            [
                b"commit refs/heads/main\n",
                b"committer Bench <bench@example.invalid> %d +0000\n" % (when + number),
                b"data %d\n%s" % (len(message), message),
                b"M 100644 inline src/module_%d.py\n" % target,
                b"data %d\n%s\n" % (len(data), data),
            ]
        )


def build_repository(root: Path, commits: int, files: int, plant_every: int) -> float:
    """Create the repository; returns the seconds it took."""
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    # Streamed commit by commit: the bench itself stays small, so the secloop child,
    # forked from it, does not start with the repository's history in its peak RSS.
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    if importer.stdin is None:  # pragma: no cover - stdin=PIPE always gives a stream
        raise SystemExit("git fast-import: no input stream")
    with importer.stdin:
        for commit in _fast_import_stream(commits, files, plant_every, seed=commits):
            importer.stdin.write(commit)
    if importer.wait() != 0:
        raise SystemExit(f"git fast-import exited {importer.returncode}")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    return time.perf_counter() - started


# Runs the CLI in a Python child that reports its own peak RSS on exit: ``wait4`` would
# also count ``git log``, a child of secloop whose memory grows with the repository.
_CHILD = """
import resource, sys
from secloop.cli import main
try:
    main(sys.argv[1:])
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run_secloop(python: str, repository: Path) -> tuple[float, float, int, int, int]:
    """Wall s, CPU s (secloop and its git), peak RSS KiB of secloop itself and of the
    largest process so far (git's, on long histories), and the findings."""
    report = repository.parent / "history.json"
    argv = [python, "-c", _CHILD, "secrets", "--git", str(repository), "-f", "json"]
    argv += ["-o", str(report), "--exit-code", "0", "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    _, errors = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"secloop exited {process.returncode}: {errors}")
    own_kib = int(errors.strip().splitlines()[-1])
    tree = resource.getrusage(resource.RUSAGE_CHILDREN)
    findings = len(json.loads(report.read_text(encoding="utf-8"))["findings"])
    cpu = tree.ru_utime + tree.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, own_kib, tree.ru_maxrss, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--plant-every", type=int, default=50)
    parser.add_argument("--python", default=sys.executable, help="a Python with secloop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="secloop-history-") as tmp:
        repository = Path(tmp) / "repo"
        built = build_repository(repository, args.commits, args.files, args.plant_every)
        planted = args.commits // args.plant_every
        print(f"repository: {args.commits} commits, {args.files} files, built in {built:.1f} s")
        wall, cpu, own_kib, tree_kib, findings = run_secloop(args.python, repository)
        print(
            f"secloop secrets --git: {wall:.2f} s wall, {cpu:.2f} s CPU with git, "
            f"{args.commits / wall:,.0f} commits/s; peak RSS: secloop {own_kib / 1024:.1f} MiB, "
            f"largest process incl. git {tree_kib / 1024:.1f} MiB"
        )
        print(f"findings: {findings} (planted {planted} FAKE tokens)")


if __name__ == "__main__":
    main()
