"""Kustomize overlays and Helm charts, rendered by their own tools and then checked.

A directory with a ``kustomization.yaml`` (``.yml``, ``Kustomization``) is rendered with
``kubectl kustomize DIR``; a directory with a ``Chart.yaml`` with ``helm template``.
The rendered stream goes through the same Kubernetes checks as a manifest file, and
through the ``--policy`` Rego policies and the ``--pss-level`` Pod Security Standards
when those are configured (the Namespaces of the rendered stream decide its PSS level);
findings name the rendered resource and point at the overlay's or chart's file.

Never silent: a tool that is missing, fails, times out or prints too much is recorded
in the coverage manifest (as failed by ``render``, with the directory and the reason),
and ``--strict-render`` turns any such record into a failed scan.

Steps of :meth:`RenderScanner.scan_artifact`:

1. Only a directory target is rendered (the tools read the real tree). Collect its
   kustomization and chart directories from the artifact's walk, so excludes and
   ``.gitignore`` apply as they do to every other file.
2. Skip kustomizations another kustomization in the tree uses (``resources``,
   ``bases``, ``components``) and ``kind: Component``: a base is rendered as part of
   each overlay, and its plain files are scanned as manifests anyway. An overlay that
   uses remote resources (URLs, directly or through its local bases) is recorded as not
   rendered: ``kubectl kustomize`` would fetch them, and a scan never uses the network.
3. Run the tool without a shell, with a timeout and an output cap; parse and check
   (Kubernetes checks, then Rego policies, then PSS).
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from pathlib import Path, PurePosixPath

import yaml

from secloop.core.errors import Error
from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.result import Failed, ScanResult
from secloop.core.rule import Rule
from secloop.core.target import TargetKind
from secloop.scan.interface import (
    Artifact,
    FileEntry,
    Inventory,
    Observation,
    PartialFailure,
    Scanner,
)
from secloop.scan.misconfig.documents import ParsedStream, parse_yaml
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.base import KubernetesCheck
from secloop.scan.misconfig.kubernetes.evaluate import evaluate_stream, finding_of
from secloop.scan.misconfig.kubernetes.exposure import observe
from secloop.scan.misconfig.kubernetes.model import Resource, Workload
from secloop.scan.misconfig.kubernetes.scan_wide import ScanWideJudge, ScanWideResources, judge
from secloop.scan.misconfig.pss_scan import PssScanner
from secloop.scan.misconfig.rego.scanner import RegoScanner

__all__ = [
    "RENDER_FAILURE_PREFIX",
    "RenderError",
    "RenderKind",
    "RenderScanner",
    "RenderSource",
    "render_sources",
    "require_rendered",
]

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
CHART_NAME = "Chart.yaml"
TIMEOUT_SECONDS = 60.0
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
#: Every coverage record of this scanner starts so; ``--strict-render`` looks for it.
RENDER_FAILURE_PREFIX = "not rendered: "
_RELEASE_NAME = "release"


class RenderKind(StrEnum):
    KUSTOMIZE = "kustomize"
    HELM = "helm"


@dataclass(frozen=True, slots=True)
class RenderSource:
    """A directory to render and the file that makes it one (relative, ``/``-separated)."""

    kind: RenderKind
    directory: str
    file: str
    #: Remote resources a kustomization (or a base it uses) names: never fetched.
    remote: tuple[str, ...] = ()


def _parent(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


@dataclass(frozen=True, slots=True)
class _Kustomization:
    """What step (2) needs from one kustomization file."""

    entry: FileEntry
    local: frozenset[str]  # directories it uses, relative to the artifact root
    remote: tuple[str, ...]  # URLs it uses (kubectl would fetch them)
    component: bool


def _is_remote(item: str) -> bool:
    return "://" in item or item.startswith(("git@", "github.com/"))


def _kustomization(entry: FileEntry, text: str) -> _Kustomization:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        document = None  # kubectl reports the syntax error when the overlay is rendered
    if not isinstance(document, dict):
        return _Kustomization(entry, frozenset(), (), component=False)
    directory = _parent(entry.path)
    local: set[str] = set()
    remote: list[str] = []
    for key in ("resources", "bases", "components"):
        for item in document.get(key) or ():
            if not isinstance(item, str):
                continue
            if _is_remote(item):
                remote.append(item)
                continue
            joined = posixpath.normpath(f"{directory}/{item}" if directory else item)
            local.add("" if joined == "." else joined)
    component = document.get("kind") == "Component"
    return _Kustomization(entry, frozenset(local), tuple(remote), component=component)


def _remote_closure(start: _Kustomization, by_directory: dict[str, _Kustomization]) -> list[str]:
    """Every URL ``start`` uses, directly or through the local bases it builds on."""
    seen: set[str] = set()
    pending = [start]
    urls: list[str] = []
    while pending:
        current = pending.pop()
        urls.extend(u for u in current.remote if u not in urls)
        for directory in sorted(current.local - seen):
            seen.add(directory)
            if directory in by_directory:
                pending.append(by_directory[directory])
    return urls


def render_sources(artifact: Artifact) -> Iterator[RenderSource]:
    """Steps (1) and (2): the overlays and charts of the artifact, in walk order."""
    kustomizations: list[_Kustomization] = []
    charts: list[FileEntry] = []
    for entry in artifact.walk():
        if not isinstance(entry, FileEntry):
            continue
        if entry.name in KUSTOMIZATION_NAMES:
            text = artifact.read(entry).decode("utf-8", errors="replace")
            kustomizations.append(_kustomization(entry, text))
        elif entry.name == CHART_NAME:
            charts.append(entry)
    by_directory = {_parent(k.entry.path): k for k in kustomizations}
    used = {directory for k in kustomizations for directory in k.local}
    for kustomization in kustomizations:
        directory = _parent(kustomization.entry.path)
        if directory in used or kustomization.component:
            continue
        remote = tuple(_remote_closure(kustomization, by_directory))
        yield RenderSource(RenderKind.KUSTOMIZE, directory, kustomization.entry.path, remote)
    for entry in charts:
        yield RenderSource(RenderKind.HELM, _parent(entry.path), entry.path)


class RenderError(Error):
    """``--strict-render``: an overlay or chart was not rendered (exit code 3)."""


def require_rendered(result: ScanResult) -> None:
    """Fail closed when any overlay or chart of the scan could not be rendered."""
    missed = [
        c.reason.removeprefix(RENDER_FAILURE_PREFIX)
        for c in result.coverage
        if isinstance(c, Failed)
        and c.by == RenderScanner.name
        and c.reason.startswith(RENDER_FAILURE_PREFIX)
    ]
    if missed:
        raise RenderError(f"--strict-render: not rendered: {'; '.join(missed)}")


class _RenderFailedError(Exception):
    """Internal: why a source could not be rendered; becomes a coverage record."""


def _command(kind: RenderKind, directory: Path) -> list[str]:
    if kind is RenderKind.KUSTOMIZE:
        tool = shutil.which("kubectl")
        if tool is None:
            raise _RenderFailedError("kubectl not found on PATH (needed for kustomize)")
        return [tool, "kustomize", str(directory)]
    tool = shutil.which("helm")
    if tool is None:
        raise _RenderFailedError("helm not found on PATH")
    return [tool, "template", _RELEASE_NAME, str(directory)]


def _run(argv: Sequence[str], timeout: float) -> str:
    """Step (3): the tool's standard output; failures, timeouts and floods are errors."""
    try:
        completed = subprocess.run(  # noqa: S603 - argv from shutil.which, no shell
            list(argv), capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise _RenderFailedError(f"{Path(argv[0]).name} timed out after {timeout:g} s") from None
    except OSError as err:
        raise _RenderFailedError(f"cannot run {argv[0]}: {err.strerror or err}") from None
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", errors="replace").strip().splitlines()
        last = detail[-1] if detail else f"exit status {completed.returncode}"
        raise _RenderFailedError(f"{Path(argv[0]).name} failed: {last[:500]}")
    if len(completed.stdout) > MAX_OUTPUT_BYTES:
        raise _RenderFailedError(f"rendered output larger than {MAX_OUTPUT_BYTES} bytes")
    return completed.stdout.decode("utf-8", errors="replace")


class RenderScanner(Scanner):
    """Kustomize overlays and Helm charts, rendered and run through the Kubernetes checks."""

    name = "render"
    kind = FindingKind.MISCONFIGURATION

    def __init__(
        self,
        checks: Sequence[KubernetesCheck] = KUBERNETES_CHECKS,
        timeout: float = TIMEOUT_SECONDS,
        *,
        rego: RegoScanner | None = None,
        pss: PssScanner | None = None,
    ) -> None:
        """``rego`` and ``pss``: the scan's policies and PSS settings, when configured,
        also applied to what is rendered."""
        self._checks = tuple(checks)
        self._timeout = timeout
        self._rego = rego
        self._pss = pss

    def rules(self) -> Sequence[Rule]:
        rules = [check.rule for check in self._checks]
        for extra in (self._rego, self._pss):
            if extra is not None:
                rules.extend(extra.rules())
        return tuple(rules)

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterable[Finding | PartialFailure | Observation]:
        target = artifact.target
        # The opener names a directory target by the path the user gave (step 1).
        if target.kind is not TargetKind.DIRECTORY or not Path(target.name).is_dir():
            return []
        root = Path(target.name)
        outcomes: list[Finding | PartialFailure | Observation] = []
        for source in render_sources(artifact):
            outcomes.extend(self._render(root, source))
        return outcomes

    def _render(
        self, root: Path, source: RenderSource
    ) -> list[Finding | PartialFailure | Observation]:
        label = f"{source.kind} {source.directory or '.'}"
        if source.remote:
            reason = (
                f"uses remote resources ({', '.join(source.remote)}); secloop does not "
                "fetch over the network (vendor them, or render in CI and scan the output)"
            )
            return [PartialFailure(f"{RENDER_FAILURE_PREFIX}{label}: {reason}")]
        try:
            text = _run(_command(source.kind, root / source.directory), self._timeout)
        except _RenderFailedError as err:
            return [PartialFailure(f"{RENDER_FAILURE_PREFIX}{label}: {err}")]
        stream = parse_yaml(text)
        outcomes: list[Finding | PartialFailure | Observation] = []
        # What the rendered objects link, for the kubernetes scanner's exposure graph.
        if (observed := observe(stream.documents)) is not None:
            outcomes.append(observed)
        scan_wide: list[tuple[Resource, Workload | None]] = []
        for outcome in self._check(stream, source.file, scan_wide):
            if isinstance(outcome, PartialFailure):
                outcomes.append(PartialFailure(f"{label} (rendered): {outcome.reason}"))
            else:
                outcomes.append(_from_rendering(outcome, source))
        if scan_wide:  # judged with the plain manifests' (kubernetes scanner)
            finish = partial(_from_rendering, source=source)
            outcomes.append(
                ScanWideResources(path=source.file, resources=tuple(scan_wide), finish=finish)
            )
        return outcomes

    def scan_observations(
        self, observations: Sequence[Observation]
    ) -> Iterable[Finding | PartialFailure]:
        """The scan-wide checks over the rendered streams, only when no kubernetes
        scanner (which judges plain and rendered together) is part of the scan."""
        if any(isinstance(o, ScanWideJudge) for o in observations):
            return []
        return judge(observations, self._checks, finding_of, rendered_only=True)

    def _check(
        self,
        stream: ParsedStream,
        path: str,
        scan_wide: list[tuple[Resource, Workload | None]],
    ) -> list[Finding | PartialFailure]:
        """The Kubernetes checks (which also report the documents that did not parse;
        the scan-wide ones collect into ``scan_wide``), then the Rego policies and PSS
        on the documents that did."""
        outcomes = evaluate_stream(stream, path, self._checks, scan_wide=scan_wide)
        if self._rego is not None:
            outcomes.extend(self._rego.scan_stream(ParsedStream(documents=stream.documents), path))
        if self._pss is not None:
            outcomes.extend(self._pss.evaluate(path, stream.documents))
        return outcomes


def _from_rendering(finding: Finding, source: RenderSource) -> Finding:
    """Point at the overlay's or chart's file; lines of the rendered stream mean nothing
    in it, so the rendered resource (and the field, in the anchor) locate the problem."""
    location = Location(path=source.file, resource=finding.location.resource)
    return replace(
        finding,
        location=location,
        scanner=RenderScanner.name,
        message=f"{finding.message} (rendered by {source.kind} from {source.directory or '.'})",
        anchor=f"{source.kind}:{finding.anchor}",
    )
