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
import importlib.util
import os
import random
import resource
import shutil
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry
from secloop.scan.secrets.engine import SecretEngine

PROJECT = Path(__file__).resolve().parent.parent
#: The gitleaks part of the shared corpus: real secret-scanner fixtures, and small enough
#: (about 1.5 MB) that detect-secrets finishes in minutes rather than hours.
CORPUS = PROJECT.parent / "shared" / "corpus" / "gitleaks"
FIXTURE_GENERATOR = PROJECT / "tests" / "fixtures" / "secrets" / "generate.py"

_SOURCE = '''"""Module {n}: request handling."""
import os

CHECKSUM = "{sha}"
REQUEST_ID = "{uuid}"
BLOB = "{blob}"
COMMIT = "{sha1}"
ETAG = "{md5}"


def handler(event, context):
    user = event.get("user", "anonymous")
    return {{"status": 200, "user": user, "region": os.environ.get("REGION", "eu")}}
'''
_CONFIG = "service:\n  name: svc-{n}\n  replicas: 3\n  image: registry.example.com/svc:{sha8}\n"

#: Lines that look like secrets and are not: test placeholders, references, values from
#: vendor documentation marked as examples, hashes and identifiers under secret-ish names.
_LOOKALIKES = (
    'api_key = "your-api-key-here"',
    'password = "changeme"',
    "token: ${{GITHUB_TOKEN}}",
    'DB_PASSWORD = os.environ["DB_PASSWORD"]',
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    'secret_sha256 = "{sha}"',
    "request_token_id: {uuid}",
    'integrity = "sha512-{blob}"',
    "client_secret: <client-secret>",
    'stripe_key = "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"',
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    'password = "{{{{ .Values.db.password }}}}"',
    "secret_name = prod-db-credentials",
    "token_url = https://auth.example.com/oauth/token",
    'if (password == "") {{',
    "commit {sha1}",
    'password_label = "Enter your password"',
    "PASSWORD_MIN_LENGTH = 12",
    'api_key_header = "X-API-Key"',
    'cache_key = "{blob}"',
    'public_key = "{blob}"',
    "token_endpoint: https://login.example.com/oauth2/v2.0/token",
    "session_token_ttl_seconds = 3600",
    'csrf_token = "{sha}"',
    'secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-{sha8}"',
    "password: !vault |",
    "const tokenPattern = /[A-Za-z0-9]{{32}}/;",
    'api_key = config.get("service", "api_key")',
    'auth_token = request.headers.get("X-Auth-Token")',
    'npm_config_registry = "https://registry.npmjs.org/"',
    'client_secret = "{blob}"  # secloop:ignore SECRET-GENERIC-API-KEY OAuth test fixture',
)

#: Extensions of the config-like files planted secrets are written into: formats in
#: which a bare value is a value (the generic rules' quoting check passes everywhere).
_HOST_EXTENSIONS = (".env", ".conf", ".ini", ".txt", ".properties", ".cfg")


def _rand(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


@dataclass(frozen=True, slots=True)
class Planted:
    """One FAKE secret written into the tree: where, and which rule must report it."""

    path: str
    first_line: int
    last_line: int
    rule_id: str


@dataclass
class Tree:
    size: int = 0
    files: int = 0
    planted: list[Planted] = field(default_factory=list)


def _fixture_generator() -> ModuleType:
    """tests/fixtures/secrets/generate.py: a realistic FAKE instance of every rule."""
    spec = importlib.util.spec_from_file_location("secret_fixtures", FIXTURE_GENERATOR)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the repo
        raise RuntimeError(f"cannot load {FIXTURE_GENERATOR}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _instance(fixtures: ModuleType, rule_id: str, rng: random.Random) -> str:
    """A fresh FAKE secret of the rule (the fixture's shape, this tree's random values)."""
    if rule_id in fixtures.BUILDERS:
        return str(fixtures.BUILDERS[rule_id][0](rng)).rstrip("\n")
    template = fixtures.TEMPLATES[rule_id][0]
    return str(fixtures._expand(template, rng))


def _near_misses(fixtures: ModuleType, rule_id: str) -> str:
    """The rule's PASSED fixture: placeholders, wrong lengths, embedded tokens."""
    return str(fixtures.render(rule_id)[1])


def _k8s_secret(rng: random.Random, n: int) -> str:
    value = base64.b64encode(_rand(rng, string.ascii_letters + string.digits, 24).encode())
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-{n}\ntype: Opaque\n"
        f"data:\n  session-signing-value: {value.decode()}\n"
    )


def _tfstate(rng: random.Random) -> str:
    value = _rand(rng, string.ascii_letters + string.digits, 20)
    return (
        '{"version": 4, "terraform_version": "1.6.0", "outputs": {"db_admin": '
        f'{{"value": "{value}", "type": "string", "sensitive": true}}}}, "resources": []}}\n'
    )


def _write(root: Path, relative: str, text: str, tree: Tree) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    tree.size += len(text.encode("utf-8"))
    tree.files += 1


def _plant_every_rule(root: Path, rng: random.Random, tree: Tree, per_rule: int) -> None:
    """``per_rule`` instances of every text rule, each inside a config file among
    ordinary settings, plus every rule's near misses in a file of their own."""
    fixtures = _fixture_generator()
    for rule_id in fixtures.all_rule_ids():
        slug = rule_id.removeprefix("SECRET-").lower()
        for copy in range(per_rule):
            secret = _instance(fixtures, rule_id, rng)
            before = f"# settings for {slug}\nlog_level = info\nworkers = {rng.randint(1, 64)}\n"
            after = "timeout_seconds = 30\nregion = eu-west-1\n"
            relative = f"deploy/{slug}/settings{copy}{rng.choice(_HOST_EXTENSIONS)}"
            first = before.count("\n") + 1
            _write(root, relative, before + secret + "\n" + after, tree)
            tree.planted.append(Planted(relative, first, first + secret.count("\n"), rule_id))
        _write(root, f"docs/near-misses/{slug}.txt", _near_misses(fixtures, rule_id), tree)
    for copy in range(per_rule):
        relative = f"k8s/app{copy}/secret.yaml"
        _write(root, relative, _k8s_secret(rng, copy), tree)
        tree.planted.append(Planted(relative, 7, 7, "SECRET-K8S-SECRET-MANIFEST"))
        relative = f"infra/env{copy}/terraform.tfstate"
        _write(root, relative, _tfstate(rng), tree)
        tree.planted.append(Planted(relative, 1, 1, "SECRET-TFSTATE-SENSITIVE-VALUE"))


def _filler(index: int, rng: random.Random) -> tuple[str, str]:
    """An ordinary source or config file with secret-like non-secrets in it."""
    directory = f"pkg{index % 40}/mod{index % 9}"
    sha = hashlib.sha256(str(index).encode()).hexdigest()
    sha1 = hashlib.sha1(str(index).encode()).hexdigest()  # noqa: S324 - a look-alike value
    md5 = hashlib.md5(str(index).encode()).hexdigest()  # noqa: S324 - a look-alike value
    request_id = uuid.UUID(int=rng.getrandbits(128))
    blob = base64.b64encode(rng.randbytes(48)).decode()
    if index % 5 == 0:
        return f"{directory}/values{index}.yaml", _CONFIG.format(n=index, sha8=sha[:8])
    text = _SOURCE.format(n=index, sha=sha, sha1=sha1, md5=md5, uuid=request_id, blob=blob) * 6
    if index % 3 == 0:
        lookalike = rng.choice(_LOOKALIKES).format(
            sha=sha, sha8=sha[:8], sha1=sha1, uuid=request_id, blob=blob
        )
        return f"{directory}/settings{index}.conf", f"{lookalike}\n{text}"
    return f"{directory}/module{index}.py", text


def generate(root: Path, files: int, seed: int = 7, *, per_rule: int = 2) -> Tree:
    """Write the tree: ``files`` ordinary files (source and config with look-alikes:
    hashes, UUIDs, base64 blobs, placeholders, documentation example keys) and
    ``per_rule`` planted FAKE secrets of every rule. Deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not keys
    tree = Tree()
    for index in range(files):
        relative, text = _filler(index, rng)
        _write(root, relative, text, tree)
    _plant_every_rule(root, rng, tree, per_rule)
    return tree


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _cpu_seconds() -> float:
    """CPU time of this process and its waited-for children: the one-core figure, which
    other load on a shared machine does not inflate as much as wall time."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    started, cpu = time.perf_counter(), _cpu_seconds()
    run()
    return time.perf_counter() - started, _cpu_seconds() - cpu


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
    # Absolute: detect-secrets runs from the scanned directory (see below).
    detect_secrets = shutil.which("detect-secrets", path=search)
    detect_secrets = str(Path(detect_secrets).resolve()) if detect_secrets else None
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
    texts: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                texts.append((path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
            except (UnicodeDecodeError, OSError):
                continue
    engines = {
        "secloop (engine, re2)": SecretEngine(),
        "secloop (engine, a-c)": SecretEngine(use_re2=False),
    }

    def runner(engine: SecretEngine) -> Callable[[], object]:
        return lambda: [engine.scan(text, path=name) for name, text in texts]

    return {name: runner(engine) for name, engine in engines.items()}


def bench(label: str, root: Path, peer_bin: Path | None, repeat: int) -> None:
    size = _tree_bytes(root)
    print(f"\n== {label}: {root} ({size / 1e6:.1f} MB)")
    times: dict[str, tuple[float, float]] = {}
    print(f"  {'':24s} {'wall s':>8s} {'MB/s':>7s} {'cpu s':>8s} {'MB/cpu-s':>8s}")
    for name, run in {**_engine_only(root), **_tools(root, peer_bin)}.items():
        times[name] = min((_timed(run) for _ in range(repeat)), key=lambda t: t[1])
        wall, cpu = times[name]
        print(
            f"  {name:24s} {wall:8.2f} {size / 1e6 / wall:7.1f} {cpu:8.2f} "
            f"{size / 1e6 / max(cpu, 1e-9):8.1f}"
        )
    base_wall, base_cpu = times["secloop (cli)"]
    for name, (wall, cpu) in times.items():
        if not name.startswith("secloop"):
            print(
                f"  {name} / secloop (cli): {wall / base_wall:.1f}x wall, {cpu / base_cpu:.1f}x cpu"
            )
    missing = {"detect-secrets", "gitleaks"} - times.keys()
    if missing:
        print(f"  not installed: {', '.join(sorted(missing))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--files", type=int, default=20000, help="generated files (20,000: about 50 MB)"
    )
    parser.add_argument("--no-corpus", action="store_true", help="skip the corpus run")
    parser.add_argument(
        "--tree", type=Path, default=None, help="time this existing tree instead of generating one"
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--peer-bin", type=Path, default=None, help="a venv bin with peers")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    if args.corpus.is_dir() and not args.no_corpus:
        bench("shared corpus", args.corpus, args.peer_bin, args.repeat)
    if args.tree is not None:
        bench("given tree", args.tree, args.peer_bin, args.repeat)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.files)
        bench(f"generated tree, {args.files} files", root, args.peer_bin, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
