"""The ``pss`` scanner: would each workload be admitted under Pod Security Standards?

Enabled by ``--pss-level baseline|restricted`` (and ``--pss-version``). It answers what
``kubectl apply --dry-run=server`` answers on a cluster with Pod Security Admission:
one finding per failing control per workload (rule ``PSS-<control>``, the check IDs
the admission controller reports), *in addition to* the SL-K8S checks, which are
opinions with severities rather than the pass/fail contract.

The namespace decides, as it does on a cluster: when the scanned manifests contain the
workload's Namespace with a ``pod-security.kubernetes.io/enforce`` label, that level
(and its ``enforce-version``, else the requested version) is used instead of
``--pss-level``. Namespaces and workloads live in different files, so the scanner runs
once per artifact (``scan_artifact``) over every manifest rather than per file.

Steps of :meth:`PssScanner.scan_artifact`:

1. Read and parse every YAML/JSON manifest of the artifact (bounded by the artifact's
   read limits; files that cannot be read or parsed are left to the kubernetes
   scanner, which records them).
2. Collect the enforce labels of Namespace objects.
3. Evaluate each workload at its namespace's level and version, else the requested
   ones; a privileged enforce level admits everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from secloop.core.errors import Error
from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.interface import Artifact, FileEntry, Inventory, PartialFailure, Scanner
from secloop.scan.misconfig.documents import Document, parse_stream
from secloop.scan.misconfig.kubernetes.model import Resource, as_map, resources_of, workload_of
from secloop.scan.misconfig.kubernetes.pss import (
    PSS_CONTROLS,
    PssControl,
    PssLevel,
    PssVersion,
    PssVersionError,
    evaluate_pss,
)
from secloop.scan.misconfig.rules import misconfig_rule

__all__ = ["PSS_RULES", "PssScanner", "PssSettings", "pss_rule_id"]

_PSS_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
_ENFORCE = "pod-security.kubernetes.io/enforce"
_ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True, kw_only=True)
class PssSettings:
    """The level and version workloads are judged at when their namespace says nothing."""

    level: PssLevel
    version: PssVersion


def pss_rule_id(control: str) -> str:
    return f"PSS-{control}"


def _rule(control: PssControl) -> Rule:
    since = "every version" if control.since == 0 else f"v1.{control.since}"
    return misconfig_rule(
        family="pss",
        default_reference=_PSS_DOC,
        id=pss_rule_id(control.id),
        title=f"Pod Security Standards {control.level} control {control.id}",
        severity=Severity.HIGH if control.level is PssLevel.BASELINE else Severity.MEDIUM,
        description=(
            f"The pod violates the `{control.id}` control of the Pod Security Standards "
            f"{control.level} level (in force from {since}); Pod Security Admission "
            f"enforcing {control.level} or stricter rejects it. Reported only with "
            "`--pss-level`, at that level and version, or at the level the workload's "
            "namespace enforces."
        ),
        remediation=(
            "Change the pod spec as the Pod Security Standards page describes for this "
            "control, or run the workload in a namespace that enforces a lower level."
        ),
        peers={"pss": control.peer},
    )


PSS_RULES: tuple[Rule, ...] = tuple(_rule(control) for control in PSS_CONTROLS)


@dataclass(frozen=True, slots=True)
class _Manifest:
    path: str
    documents: tuple[Document, ...]


@dataclass(frozen=True, slots=True)
class _NamespacePolicy:
    level: PssLevel
    version: PssVersion | None
    source: str  # "path:line" of the label, for the message


class PssScanner(Scanner):
    """Pod Security Standards admission, per workload, at a level and version."""

    name = "pss"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self, settings: PssSettings) -> None:
        self._settings = settings

    def rules(self) -> Sequence[Rule]:
        return PSS_RULES

    def applies_to(self, entry: FileEntry) -> bool:
        """Manifests count as covered by this scanner (it reads them in scan_artifact)."""
        return entry.name.lower().endswith(_MANIFEST_SUFFIXES)

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterable[Finding | PartialFailure]:
        manifests = list(_manifests(artifact))  # (1)
        policies, problems = _namespace_policies(manifests)  # (2)
        outcomes: list[Finding | PartialFailure] = list(problems)
        for manifest in manifests:  # (3)
            for document in manifest.documents:
                for resource in resources_of(document):
                    outcomes.extend(self._evaluate(manifest.path, resource, policies))
        return outcomes

    def _evaluate(
        self, path: str, resource: Resource, policies: Mapping[str, _NamespacePolicy]
    ) -> Iterator[Finding]:
        workload = workload_of(resource)
        if workload is None or workload.synthetic:
            return
        level, version = self._settings.level, self._settings.version
        origin = "--pss-level"
        policy = policies.get(resource.namespace or "default")
        if policy is not None:
            level, version = policy.level, policy.version or version
            origin = f"namespace label at {policy.source}"
        for violation in evaluate_pss(workload, level, version):
            line, column = resource.document.position_of(violation.path)
            ref = resource.ref
            yield Finding(
                kind=FindingKind.MISCONFIGURATION,
                rule_id=pss_rule_id(violation.check),
                severity=_SEVERITY[violation.level],
                title=_TITLES[violation.check],
                message=(
                    f"{ref.display}: not admitted under PSS {level} {version} "
                    f"({origin}): {violation.message}"
                ),
                location=Location(path=path, start_line=line, start_column=column, resource=ref),
                scanner=self.name,
                anchor=f"{ref.display}:{violation.check}:{violation.message}",
                remediation=_REMEDIATION,
                references=(_PSS_DOC,),
            )


_SEVERITY = {PssLevel.BASELINE: Severity.HIGH, PssLevel.RESTRICTED: Severity.MEDIUM}
_TITLES = {control.id: rule.title for control, rule in zip(PSS_CONTROLS, PSS_RULES, strict=True)}
_REMEDIATION = PSS_RULES[0].remediation


def _manifests(artifact: Artifact) -> Iterator[_Manifest]:
    """Step (1): every manifest that parses; the rest is the kubernetes scanner's to report."""
    for entry in artifact.walk():
        if not isinstance(entry, FileEntry) or not entry.name.lower().endswith(_MANIFEST_SUFFIXES):
            continue
        try:
            text = artifact.read(entry).decode("utf-8-sig")
        except (Error, UnicodeDecodeError):
            continue
        if "apiVersion" not in text or "kind" not in text:
            continue
        stream = parse_stream(text, json_syntax=entry.path.lower().endswith(".json"))
        if stream.documents:
            yield _Manifest(entry.path, stream.documents)


def _namespace_policies(
    manifests: Sequence[_Manifest],
) -> tuple[dict[str, _NamespacePolicy], list[PartialFailure]]:
    """Step (2): ``enforce`` labels of the Namespaces in the scanned manifests."""
    policies: dict[str, _NamespacePolicy] = {}
    problems: list[PartialFailure] = []
    for manifest in manifests:
        for document in manifest.documents:
            for resource in resources_of(document):
                if resource.kind != "Namespace":
                    continue
                labels = as_map(as_map(resource.obj.get("metadata")).get("labels"))
                if _ENFORCE not in labels:
                    continue
                line = resource.line_of((*resource.prefix, "metadata", "labels", _ENFORCE))
                where = f"{manifest.path}:{line}"
                try:
                    policies[resource.name] = _policy(labels, where)
                except (ValueError, PssVersionError) as err:
                    problems.append(PartialFailure(f"{where}: namespace {resource.name}: {err}"))
    return policies, problems


def _policy(labels: Mapping[str, object], where: str) -> _NamespacePolicy:
    value = str(labels[_ENFORCE]).strip().lower()
    if value not in set(PssLevel):
        choices = ", ".join(PssLevel)
        raise ValueError(f"invalid {_ENFORCE} label {value!r}; expected one of {choices}")
    level = PssLevel(value)
    raw_version = labels.get(_ENFORCE_VERSION)
    version = PssVersion.parse(str(raw_version)) if raw_version is not None else None
    return _NamespacePolicy(level=level, version=version, source=where)
