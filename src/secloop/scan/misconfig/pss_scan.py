"""The ``pss`` scanner: would each workload be admitted under Pod Security Standards?

Enabled by ``--pss-level baseline|restricted`` (and ``--pss-version``). It answers what
``kubectl apply --dry-run=server`` answers on a cluster with Pod Security Admission:
one finding per failing control per workload (rule ``PSS-<control>``, the check IDs
the admission controller reports), *in addition to* the SL-K8S checks, which are
opinions with severities rather than the pass/fail contract.

The namespace decides, as it does on a cluster: when the scanned manifests contain the
workload's Namespace with a ``pod-security.kubernetes.io/enforce`` label, that level
(and its ``enforce-version``, else the requested version) is used instead of
``--pss-level``. Namespaces and workloads live in different files, so the verdicts are
given once per artifact (``scan_artifact``), after every manifest was seen.

Steps:

1. :meth:`PssScanner.scan_file`: take the manifest's documents from the shared parse
   (:mod:`~secloop.scan.misconfig.shared_parse`: the kubernetes scanner parsed them
   already, so nothing is read or parsed twice) and keep its workloads and labelled
   Namespaces until the end of the walk (and the lines of a file with a
   ``secloop:ignore`` marker: the verdicts come after the walk, where the engine no
   longer applies markers, so this scanner applies them). Files that cannot be
   parsed are the kubernetes scanner's to report.
2. :meth:`PssScanner.scan_artifact`: collect the enforce labels of the Namespaces.
3. Evaluate each workload at its namespace's level and version, else the requested
   ones; a privileged enforce level admits everything.

Rendered overlays and charts go through steps 2 and 3 too (:meth:`PssScanner.evaluate`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.interface import (
    Artifact,
    FileContent,
    FileEntry,
    Inventory,
    PartialFailure,
    Scanner,
)
from secloop.scan.misconfig.documents import Document
from secloop.scan.misconfig.kubernetes.model import (
    Resource,
    Workload,
    as_map,
    resources_of,
    workload_of,
)
from secloop.scan.misconfig.kubernetes.pss import (
    PSS_CONTROLS,
    PssControl,
    PssLevel,
    PssVersion,
    PssVersionError,
    evaluate_pss,
)
from secloop.scan.misconfig.kubernetes.scan_wide import INLINE_MARKER, apply_markers
from secloop.scan.misconfig.rules import misconfig_rule
from secloop.scan.misconfig.shared_parse import parsed_stream

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
class _Placed:
    """A resource and the file (or overlay/chart) it was found in."""

    path: str
    resource: Resource


@dataclass(slots=True)
class _Seen:
    """What one artifact's manifests hold for PSS: workloads and Namespaces, in walk order."""

    workloads: list[tuple[_Placed, Workload]] = field(default_factory=list)
    namespaces: list[_Placed] = field(default_factory=list)
    #: The lines of the files with a ``secloop:ignore`` marker, for the verdicts given
    #: after the walk (the engine applies markers only to findings of ``scan_file``).
    marked: dict[str, Sequence[str]] = field(default_factory=dict)
    #: False for a rendered stream: its lines are not lines of any file the user has.
    has_lines: bool = True

    def add(self, path: str, documents: Iterable[Document]) -> None:
        for document in documents:
            for resource in resources_of(document):
                if resource.kind == "Namespace":
                    self.namespaces.append(_Placed(path, resource))
                    continue
                workload = workload_of(resource)
                if workload is not None and not workload.synthetic:
                    self.workloads.append((_Placed(path, resource), workload))


@dataclass(frozen=True, slots=True)
class _NamespacePolicy:
    level: PssLevel
    version: PssVersion | None
    source: str  # "path:line" of the label, for the message


class _PerScan(threading.local):
    """The manifests seen so far by the scan running on this thread."""

    seen: _Seen | None = None


class PssScanner(Scanner):
    """Pod Security Standards admission, per workload, at a level and version.

    Between the walk (``scan_file``) and ``scan_artifact`` it keeps the workloads and
    Namespaces of the scan running on the current thread; ``scan_artifact`` hands them
    over and forgets them, so one instance still serves scan after scan.
    """

    name = "pss"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self, settings: PssSettings) -> None:
        self._settings = settings
        self._per_scan = _PerScan()

    def rules(self) -> Sequence[Rule]:
        return PSS_RULES

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name.lower().endswith(_MANIFEST_SUFFIXES)

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        """Step (1): remember the manifest's workloads and Namespaces; no verdict yet."""
        text = content.text
        if "apiVersion" not in text or "kind" not in text:
            return ()
        if self._per_scan.seen is None:
            self._per_scan.seen = _Seen()
        seen = self._per_scan.seen
        seen.add(content.entry.path, parsed_stream(content).documents)
        if INLINE_MARKER in text:
            seen.marked[content.entry.path] = content.lines
        return ()

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterable[Finding | PartialFailure]:
        seen, self._per_scan.seen = self._per_scan.seen, None
        return [] if seen is None else self._verdicts(seen)

    def evaluate(self, path: str, documents: Iterable[Document]) -> list[Finding | PartialFailure]:
        """Steps (2) and (3) over one stream on its own (a rendered overlay or chart):
        its Namespaces decide the level of its workloads."""
        seen = _Seen(has_lines=False)
        seen.add(path, documents)
        return self._verdicts(seen)

    def _verdicts(self, seen: _Seen) -> list[Finding | PartialFailure]:
        policies, problems = _namespace_policies(seen.namespaces, has_lines=seen.has_lines)  # (2)
        outcomes: list[Finding | PartialFailure] = list(problems)
        for placed, workload in seen.workloads:  # (3)
            findings = self._evaluate(placed, workload, policies)
            lines = seen.marked.get(placed.path)
            outcomes.extend(findings if lines is None else apply_markers(findings, lines))
        return outcomes

    def _evaluate(
        self, placed: _Placed, workload: Workload, policies: Mapping[str, _NamespacePolicy]
    ) -> Iterator[Finding]:
        resource = placed.resource
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
                location=Location(
                    path=placed.path, start_line=line, start_column=column, resource=ref
                ),
                scanner=self.name,
                anchor=f"{ref.display}:{violation.check}:{violation.message}",
                remediation=_REMEDIATION,
                references=(_PSS_DOC,),
            )


_SEVERITY = {PssLevel.BASELINE: Severity.HIGH, PssLevel.RESTRICTED: Severity.MEDIUM}
_TITLES = {control.id: rule.title for control, rule in zip(PSS_CONTROLS, PSS_RULES, strict=True)}
_REMEDIATION = PSS_RULES[0].remediation


def _namespace_policies(
    namespaces: Sequence[_Placed], *, has_lines: bool
) -> tuple[dict[str, _NamespacePolicy], list[PartialFailure]]:
    """Step (2): ``enforce`` labels of the Namespaces in the scanned manifests."""
    policies: dict[str, _NamespacePolicy] = {}
    problems: list[PartialFailure] = []
    for placed in namespaces:
        resource = placed.resource
        labels = as_map(as_map(resource.obj.get("metadata")).get("labels"))
        if _ENFORCE not in labels:
            continue
        where = f"{placed.path} (rendered Namespace {resource.name})"
        if has_lines:
            line = resource.line_of((*resource.prefix, "metadata", "labels", _ENFORCE))
            where = f"{placed.path}:{line}"
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
