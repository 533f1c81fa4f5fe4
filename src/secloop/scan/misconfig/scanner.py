"""The misconfiguration scanners the engine runs: one per file family.

``applies_to`` decides on the path alone (the engine has not read the file yet).
``scan_file`` rejects non-manifests cheaply before parsing: most YAML and JSON in a
repository (CI workflows, package.json, lock files) never mention ``apiVersion``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatch

from secloop.core.exposure import WorkloadExposure
from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.scan.interface import (
    Artifact,
    FileContent,
    FileEntry,
    Inventory,
    Observation,
    PartialFailure,
    ScanError,
    Scanner,
)
from secloop.scan.misconfig.compose import COMPOSE_CHECKS
from secloop.scan.misconfig.compose.base import ComposeCheck, ComposeHit
from secloop.scan.misconfig.compose.model import Service, services_of
from secloop.scan.misconfig.dockerfile import DOCKERFILE_CHECKS
from secloop.scan.misconfig.dockerfile.base import DockerfileCheck, DockerHit
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, parse_dockerfile
from secloop.scan.misconfig.documents import parse_yaml
from secloop.scan.misconfig.kubernetes import KUBERNETES_CHECKS
from secloop.scan.misconfig.kubernetes.base import KubernetesCheck
from secloop.scan.misconfig.kubernetes.evaluate import describe_error, evaluate_stream, finding_of
from secloop.scan.misconfig.kubernetes.exposure import exposures, observe_viewed
from secloop.scan.misconfig.kubernetes.model import Resource, Workload
from secloop.scan.misconfig.kubernetes.scan_wide import (
    INLINE_MARKER,
    ScanWideJudge,
    ScanWideResources,
    judge,
)
from secloop.scan.misconfig.registries import (
    AllowedRegistries,
    BaseImageRegistryNotAllowed,
    ComposeImageRegistryNotAllowed,
    RegistryNotAllowed,
)
from secloop.scan.misconfig.shared_parse import parsed_stream

__all__ = [
    "ComposeScanner",
    "DockerfileScanner",
    "KubernetesScanner",
    "is_compose_file",
    "is_dockerfile",
    "scan_single_file",
]

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_DOCKERFILE_PATTERNS = ("dockerfile", "*.dockerfile", "dockerfile.*", "containerfile")
#: ``Dockerfile.md`` and friends are about a Dockerfile, not one.
_NOT_DOCKERFILE_SUFFIXES = (".md", ".txt", ".rst", ".yml", ".yaml", ".json", ".sh", ".py")
_COMPOSE_PATTERNS = ("docker-compose*.y*ml", "compose*.y*ml")


class KubernetesScanner(Scanner):
    """Kubernetes manifests (YAML streams, ``List`` kinds, JSON)."""

    name = "kubernetes"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self, allowed_registries: Sequence[str] = ()) -> None:
        """``allowed_registries``: the allowlist SL-K8S-064 checks images against (none: off)."""
        extra: tuple[KubernetesCheck, ...] = ()
        if allowed_registries:
            extra = (RegistryNotAllowed(AllowedRegistries(allowed_registries)),)
        self._checks: tuple[KubernetesCheck, ...] = (*KUBERNETES_CHECKS, *extra)

    @property
    def checks(self) -> tuple[KubernetesCheck, ...]:
        """The checks this scanner runs (rendered overlays and charts get the same)."""
        return self._checks

    def rules(self) -> Sequence[Rule]:
        return tuple(check.rule for check in self._checks)

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name.lower().endswith(_MANIFEST_SUFFIXES)

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure | Observation]:
        """Findings of every document; ScanError only when no document could be parsed.

        A stream with some malformed documents still reports the good ones, and a
        PartialFailure per bad document, which the coverage manifest lists as failed.
        The Services, routes and workloads of the file are kept as an observation for
        :meth:`conclude`.
        """
        text = content.text
        if "apiVersion" not in text or "kind" not in text:
            return []
        path = content.entry.path
        stream = parsed_stream(content)
        if stream.errors and not stream.documents:
            raise ScanError("; ".join(describe_error(path, e) for e in stream.errors))
        scan_wide: list[tuple[Resource, Workload | None]] = []
        viewed: list[tuple[Resource, Workload | None]] = []
        outcomes: list[Finding | PartialFailure | Observation] = [
            *evaluate_stream(
                stream, path, self._checks, fingerprints=True, scan_wide=scan_wide, viewed=viewed
            )
        ]
        if scan_wide:
            lines = content.lines if INLINE_MARKER in text else None
            outcomes.append(ScanWideResources(path=path, resources=tuple(scan_wide), lines=lines))
        if (observed := observe_viewed(viewed)) is not None:
            outcomes.append(observed)
        return outcomes

    def scan_artifact(self, artifact: Artifact, inventory: Inventory) -> Iterable[Observation]:
        """Announce that this scanner judges the scan-wide checks (the render scanner
        leaves its rendered streams to it)."""
        return (ScanWideJudge(),)

    def scan_observations(
        self, observations: Sequence[Observation]
    ) -> Iterable[Finding | PartialFailure]:
        """The scan-wide checks (a Namespace's default-deny NetworkPolicy) over every
        manifest of the scan, plain and rendered."""
        return judge(observations, self._checks, finding_of)

    def conclude(self, observations: Sequence[Observation]) -> Sequence[WorkloadExposure]:
        """Each workload's exposure, from the manifests of the whole scan (plain and rendered)."""
        return exposures(observations)


def scan_single_file(
    scanner: Scanner, content: FileContent
) -> list[Finding | PartialFailure | Observation]:
    """One file as if it were the whole scan: its findings, then what the scan-wide
    checks say of its documents alone (fixtures, the accuracy harness, tests)."""
    outcomes = list(scanner.scan_file(content))
    observations = [o for o in outcomes if isinstance(o, Observation)]
    outcomes.extend(scanner.scan_observations(observations))
    return outcomes


def is_dockerfile(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return any(fnmatch(lowered, pattern) for pattern in _DOCKERFILE_PATTERNS)


def _docker_finding(
    check: DockerfileCheck, hit: DockerHit, dockerfile: Dockerfile, path: str
) -> Finding:
    rule = check.rule
    instruction = hit.instruction
    stages = dockerfile.stages
    if instruction is None:
        location, anchor = Location(path=path, start_line=1), "file"
    else:
        location = Location(
            path=path, start_line=instruction.start_line, end_line=instruction.end_line
        )
        stage = stages[instruction.stage].label if 0 <= instruction.stage < len(stages) else "-"
        body = " ".join(instruction.text.split())
        anchor = f"stage:{stage}/{instruction.keyword} {body}"
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule.id,
        severity=hit.severity or rule.severity,
        title=rule.title,
        message=hit.message,
        location=location,
        scanner=DockerfileScanner.name,
        anchor=anchor,
        evidence=hit.evidence,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=rule.frameworks,
    )


class DockerfileScanner(Scanner):
    """Dockerfiles and Containerfiles."""

    name = "dockerfile"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self, allowed_registries: Sequence[str] = ()) -> None:
        """``allowed_registries``: the allowlist SL-DF-041 checks base images against."""
        extra: tuple[DockerfileCheck, ...] = ()
        if allowed_registries:
            extra = (BaseImageRegistryNotAllowed(AllowedRegistries(allowed_registries)),)
        self._checks: tuple[DockerfileCheck, ...] = (*DOCKERFILE_CHECKS, *extra)

    def rules(self) -> Sequence[Rule]:
        return tuple(check.rule for check in self._checks)

    def applies_to(self, entry: FileEntry) -> bool:
        return is_dockerfile(entry.name)

    def scan_file(self, content: FileContent) -> Iterable[Finding]:
        path = content.entry.path
        dockerfile = parse_dockerfile(content.text)
        return [
            _docker_finding(check, hit, dockerfile, path)
            for check in self._checks
            for hit in check.evaluate(dockerfile)
        ]


def is_compose_file(name: str) -> bool:
    """``docker-compose*.yml``/``.yaml`` and ``compose*.yml``/``.yaml``: what Compose reads."""
    lowered = name.lower()
    return lowered.endswith((".yml", ".yaml")) and any(
        fnmatch(lowered, pattern) for pattern in _COMPOSE_PATTERNS
    )


def _service_image(service: Service) -> str | None:
    """The image a Compose service runs; None for a service built from a context only."""
    image = service.spec.get("image")
    return image.strip() or None if isinstance(image, str) else None


def _compose_finding(check: ComposeCheck, hit: ComposeHit, service: Service, path: str) -> Finding:
    rule = check.rule
    line, column = service.document.position_of(hit.path)
    relative = ".".join(str(key) for key in hit.path[len(service.path) :])
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule.id,
        severity=hit.severity or rule.severity,
        title=rule.title,
        message=hit.message,
        location=Location(path=path, start_line=line, start_column=column),
        scanner=ComposeScanner.name,
        anchor=f"service:{service.name}/{relative}",
        evidence=hit.evidence,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=rule.frameworks,
        image=_service_image(service),
    )


class ComposeScanner(Scanner):
    """Docker Compose files: every check on every service."""

    name = "compose"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self, allowed_registries: Sequence[str] = ()) -> None:
        """``allowed_registries``: the allowlist SL-COMPOSE-020 checks images against."""
        extra: tuple[ComposeCheck, ...] = ()
        if allowed_registries:
            extra = (ComposeImageRegistryNotAllowed(AllowedRegistries(allowed_registries)),)
        self._checks: tuple[ComposeCheck, ...] = (*COMPOSE_CHECKS, *extra)

    def rules(self) -> Sequence[Rule]:
        return tuple(check.rule for check in self._checks)

    def applies_to(self, entry: FileEntry) -> bool:
        return is_compose_file(entry.name)

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        """Findings per service; ScanError only when no document could be parsed.

        A file without a ``services`` mapping (an override fragment with only
        ``volumes:``, or an unrelated YAML file with a compose-like name) yields nothing.
        """
        path = content.entry.path
        stream = parse_yaml(content.text)
        if stream.errors and not stream.documents:
            raise ScanError("; ".join(describe_error(path, e) for e in stream.errors))
        outcomes: list[Finding | PartialFailure] = [
            _compose_finding(check, hit, service, path)
            for document in stream.documents
            for service in services_of(document)
            for check in self._checks
            for hit in check.check(service)
        ]
        outcomes.extend(PartialFailure(describe_error(path, e)) for e in stream.errors)
        return outcomes
