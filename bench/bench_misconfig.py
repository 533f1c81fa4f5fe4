"""Time secloop's kubernetes + dockerfile scanners against checkov (and hadolint if present).

Usage: .venv/bin/python bench/bench_misconfig.py [--checkov PATH] [--corpus DIR]

secloop runs in-process over every matching file (read + parse + all checks); checkov
and hadolint run as subprocesses, so their times include interpreter start-up, as a
user would experience them. checkov must come from a separate virtualenv
(``python -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov``):
it is never installed into the project's environment.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secloop.scan.interface import FileContent, FileEntry, ScanError, Scanner
from secloop.scan.misconfig import DockerfileScanner, KubernetesScanner

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@dataclass(frozen=True, slots=True)
class Timing:
    tool: str
    target: str
    seconds: float
    files: int
    findings: int


def _secloop(target: Path, scanners: Sequence[Scanner]) -> Timing:
    files = findings = 0
    started = time.perf_counter()
    for path in sorted(target.rglob("*")):
        if not path.is_file():
            continue
        entry = FileEntry(path=str(path.relative_to(target)), size=path.stat().st_size)
        wanted = [s for s in scanners if s.applies_to(entry)]
        if not wanted:
            continue
        content = FileContent(entry=entry, data=path.read_bytes())
        files += 1
        for scanner in wanted:
            with contextlib.suppress(ScanError):  # counted by the engine as failed input
                findings += sum(1 for _ in scanner.scan_file(content))
    names = "+".join(s.name for s in scanners)
    return Timing(f"secloop {names}", target.name, time.perf_counter() - started, files, findings)


def _external(tool: str, command: list[str], target: Path) -> Timing | None:
    started = time.perf_counter()
    try:
        subprocess.run(command, capture_output=True, check=False, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as err:
        print(f"  {tool}: could not run ({err})")
        return None
    return Timing(tool, target.name, time.perf_counter() - started, -1, -1)


def _hadolint(target: Path) -> Timing | None:
    binary = shutil.which("hadolint")
    if binary is None:
        print("  hadolint: not installed, skipped")
        return None
    files = [str(p) for p in sorted(target.rglob("Dockerfile*")) if p.is_file()]
    return _external("hadolint", [binary, "--no-fail", *files], target)


def _report(ours: Timing, theirs: Timing | None) -> None:
    print(
        f"  {ours.tool:<38} {ours.seconds:8.3f} s  ({ours.files} files, {ours.findings} findings)"
    )
    if theirs is not None:
        ratio = theirs.seconds / ours.seconds if ours.seconds else float("inf")
        print(f"  {theirs.tool:<38} {theirs.seconds:8.3f} s  -> secloop is {ratio:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    fallback = "/tmp/checkov-venv/bin/checkov"  # noqa: S108 - the venv the docstring names
    parser.add_argument("--checkov", default=shutil.which("checkov") or fallback)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    checkov = args.checkov if Path(args.checkov).exists() else None
    if checkov is None:
        print("checkov not found: pass --checkov (install it in a separate venv)")
    k8s = (KubernetesScanner(),)
    for name in ("kubernetes-examples", "checkov-kubernetes"):
        target = args.corpus / name
        print(f"{name}:")
        theirs = None
        if checkov is not None:
            command = [
                checkov,
                "-d",
                str(target),
                "--framework",
                "kubernetes",
                "--quiet",
                "-o",
                "json",
            ]
            theirs = _external("checkov --framework kubernetes", command, target)
        _report(_secloop(target, k8s), theirs)
    target = args.corpus / "dockerfiles-official"
    print("dockerfiles-official:")
    theirs = None
    if checkov is not None:
        command = [checkov, "-d", str(target), "--framework", "dockerfile", "--quiet", "-o", "json"]
        theirs = _external("checkov --framework dockerfile", command, target)
    ours = _secloop(target, (DockerfileScanner(),))
    _report(ours, theirs)
    hadolint = _hadolint(target)
    if hadolint is not None:
        _report(ours, hadolint)


if __name__ == "__main__":
    main()
