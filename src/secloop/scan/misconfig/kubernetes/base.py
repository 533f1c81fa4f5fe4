"""What a Kubernetes check is: rule metadata plus a stateless ``evaluate``.

A check never builds a Finding itself. It returns :class:`Hit` values (the absolute
field path of the problem, a message, optional evidence and severity override); the
scanner turns them into findings with the exact line, the resource, and an anchor
made of the resource identity and the rendered field path. The path of a *missing*
field is the path it should be written at: the line then falls back to its nearest
existing parent, while the anchor stays the field's own stable name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.kubernetes.model import (
    Container,
    Resource,
    Workload,
    as_map,
)
from secloop.scan.misconfig.rules import misconfig_rule

__all__ = [
    "ContainerCheck",
    "Hit",
    "KubernetesCheck",
    "ResourceCheck",
    "StreamCheck",
    "WorkloadCheck",
    "k8s_rule",
    "resolve",
]

_DOCS = "https://kubernetes.io/docs/"


#: A kubernetes rule: misconfiguration kind, ``kubernetes`` tag, a default reference.
k8s_rule = partial(
    misconfig_rule,
    family="kubernetes",
    default_reference=f"{_DOCS}concepts/security/pod-security-standards/",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One failed evaluation: where (absolute field path) and why."""

    path: FieldPath
    message: str
    evidence: str | None = None
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A security-context field after container-over-pod precedence."""

    value: Any
    path: FieldPath
    present: bool


def resolve(workload: Workload, container: Container, key: str) -> Resolved:
    """The effective ``securityContext.<key>``: the container's, else the pod's.

    When neither sets it, the path is the container's (where a fix belongs).
    """
    own = container.security_context
    if key in own and own[key] is not None:
        return Resolved(own[key], (*container.path, "securityContext", key), True)
    pod = workload.security_context
    if key in pod and pod[key] is not None:
        return Resolved(pod[key], workload.pod_field("securityContext", key), True)
    return Resolved(None, (*container.path, "securityContext", key), False)


class KubernetesCheck(ABC):
    """A stateless rule over one resource. Subclasses set ``rule`` as a class attribute."""

    rule: ClassVar[Rule]

    @abstractmethod
    def evaluate(self, resource: Resource, workload: Workload | None) -> Iterable[Hit]:
        """Hits for one resource; ``workload`` is its pod-spec view, computed once by the caller."""


class StreamCheck(KubernetesCheck):
    """A check across the resources of one file (a NetworkPolicy next to its Namespace).

    Per resource it finds nothing; the evaluator calls :meth:`check_all` once per file
    with every resource and their pod-spec views, in document order.
    """

    def evaluate(self, resource: Resource, workload: Workload | None) -> Iterable[Hit]:
        return ()

    @abstractmethod
    def check_all(
        self, resources: Sequence[tuple[Resource, Workload | None]]
    ) -> Iterable[tuple[Resource, Hit]]: ...


class ResourceCheck(KubernetesCheck):
    """A check of non-workload kinds (Service, Role, ...), listed in ``kinds``."""

    kinds: ClassVar[frozenset[str]] = frozenset()

    def evaluate(self, resource: Resource, workload: Workload | None) -> Iterable[Hit]:
        if resource.kind not in self.kinds:
            return ()
        return self.check(resource)

    @abstractmethod
    def check(self, resource: Resource) -> Iterable[Hit]: ...


class WorkloadCheck(KubernetesCheck):
    """A check of the pod spec of any workload kind."""

    #: False for checks of fields an OpenFaaS Function cannot set.
    applies_to_functions: ClassVar[bool] = False

    def evaluate(self, resource: Resource, workload: Workload | None) -> Iterable[Hit]:
        if workload is None or (workload.synthetic and not self.applies_to_functions):
            return ()
        return self.check(workload)

    @abstractmethod
    def check(self, workload: Workload) -> Iterable[Hit]: ...


class ContainerCheck(WorkloadCheck):
    """A check of each container; ``lists`` limits which container lists it covers."""

    lists: ClassVar[frozenset[str]] = frozenset(
        {"containers", "initContainers", "ephemeralContainers"}
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        for container in workload.containers:
            if container.list_name in self.lists:
                yield from self.check_container(workload, container)

    @abstractmethod
    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """A container's ``securityContext.capabilities``, upper-cased without ``CAP_``."""

    added: tuple[tuple[int, str], ...] = field(default=())
    dropped: frozenset[str] = frozenset()


def capabilities_of(container: Container) -> Capabilities:
    caps = as_map(container.security_context.get("capabilities"))
    add = caps.get("add")
    drop = caps.get("drop")
    added = tuple(
        (i, _cap_name(c)) for i, c in enumerate(add if isinstance(add, list) else ()) if c
    )
    dropped = frozenset(_cap_name(c) for c in (drop if isinstance(drop, list) else ()) if c)
    return Capabilities(added=added, dropped=dropped)


def _cap_name(value: object) -> str:
    name = str(value).strip().upper()
    return name.removeprefix("CAP_")
