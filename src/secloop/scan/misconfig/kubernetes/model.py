"""Kubernetes resources and the one pod-spec view every workload kind is normalised to.

A Deployment, a CronJob and a Knative Service all carry a pod spec at a different
path. Checks should not know those paths: :func:`workload_of` finds the pod spec,
remembers its path prefix (so findings still point at the right line), and lists the
containers, init containers and ephemeral containers in one sequence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secloop.core.location import KubernetesResource
from secloop.scan.misconfig.documents import Document, FieldPath

__all__ = [
    "CONTAINER_LISTS",
    "Container",
    "Resource",
    "Workload",
    "as_list",
    "as_map",
    "render_path",
    "resources_of",
    "workload_of",
]

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

#: Kind -> path from the object to its pod template (``metadata`` + ``spec``).
_TEMPLATE_PATHS: dict[str, FieldPath] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
    "DeploymentConfig": ("spec", "template"),  # OpenShift
}
_KNATIVE_GROUP = "serving.knative.dev/"
_OPENFAAS_GROUP = "openfaas.com/"


_EMPTY: Mapping[str, Any] = {}


def as_map(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one: manifests are untrusted shapes.

    Parsed documents hold plain dicts; testing ``dict`` (not the ``Mapping`` ABC) keeps
    this hot helper cheap.
    """
    return value if isinstance(value, dict) else _EMPTY


def as_list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """One Kubernetes object inside a document (a ``List`` holds several)."""

    document: Document
    prefix: FieldPath
    obj: Mapping[str, Any]
    api_version: str
    kind: str
    name: str
    namespace: str | None

    @property
    def ref(self) -> KubernetesResource:
        return KubernetesResource(
            api_version=self.api_version, kind=self.kind, name=self.name, namespace=self.namespace
        )

    def line_of(self, path: FieldPath) -> int:
        """The line of an absolute field path, or of its nearest existing parent."""
        return self.document.line_of(path)

    def get(self, path: FieldPath) -> Any:
        """The value at a path relative to the object, or None."""
        value: Any = self.obj
        for key in path:
            if isinstance(key, int):
                if not isinstance(value, list) or key >= len(value):
                    return None
            elif not isinstance(value, dict):
                return None
            value = value[key] if isinstance(key, int) else value.get(key)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    """A container of a pod spec; ``path`` is its absolute path in the document."""

    spec: Mapping[str, Any]
    list_name: str
    index: int
    path: FieldPath

    @property
    def name(self) -> str:
        name = self.spec.get("name")
        return name if isinstance(name, str) else str(self.index)

    @property
    def security_context(self) -> Mapping[str, Any]:
        return as_map(self.spec.get("securityContext"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """A pod spec, wherever its kind keeps it.

    ``synthetic`` is true for OpenFaaS Functions, which have no pod spec of their own:
    the function's image and limits are presented as one container, and checks for
    fields a Function cannot set (probes, security context) skip it.
    """

    resource: Resource
    spec: Mapping[str, Any]
    spec_path: FieldPath
    metadata: Mapping[str, Any]
    metadata_path: FieldPath
    containers: tuple[Container, ...]
    synthetic: bool = False

    @property
    def security_context(self) -> Mapping[str, Any]:
        return as_map(self.spec.get("securityContext"))

    @property
    def annotations(self) -> Mapping[str, Any]:
        return as_map(self.metadata.get("annotations"))

    def pod_field(self, *keys: str | int) -> FieldPath:
        return (*self.spec_path, *keys)


def _resource(document: Document, prefix: FieldPath, obj: Mapping[str, Any]) -> Resource | None:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    metadata = as_map(obj.get("metadata"))
    name = metadata.get("name") or metadata.get("generateName") or ""
    namespace = metadata.get("namespace")
    return Resource(
        document=document,
        prefix=prefix,
        obj=obj,
        api_version=api_version,
        kind=kind,
        name=str(name),
        namespace=str(namespace) if namespace not in (None, "") else None,
    )


def resources_of(document: Document) -> Iterator[Resource]:
    """Every Kubernetes object of a document; non-Kubernetes values yield nothing."""
    value = as_map(document.value)
    top = _resource(document, (), value)
    if top is None:
        return
    items = value.get("items")
    if top.kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            inner = _resource(document, ("items", index), as_map(item))
            if inner is not None:
                yield inner
        return
    yield top


def _containers(spec: Mapping[str, Any], spec_path: FieldPath) -> tuple[Container, ...]:
    found: list[Container] = []
    for list_name in CONTAINER_LISTS:
        for index, item in enumerate(as_list(spec.get(list_name))):
            if isinstance(item, dict):
                path = (*spec_path, list_name, index)
                found.append(Container(spec=item, list_name=list_name, index=index, path=path))
    return tuple(found)


def _template_path(resource: Resource) -> FieldPath | None:
    if resource.kind == "Service" and resource.api_version.startswith(_KNATIVE_GROUP):
        return ("spec", "template")
    if resource.kind == "Service" or resource.api_version.startswith(_KNATIVE_GROUP):
        return None
    return _TEMPLATE_PATHS.get(resource.kind)


def _openfaas(resource: Resource) -> Workload:
    """An OpenFaaS Function as a one-container workload (see :class:`Workload`)."""
    spec = as_map(resource.obj.get("spec"))
    spec_path = (*resource.prefix, "spec")
    container = {
        "name": spec.get("name", resource.name),
        "image": spec.get("image"),
        "env": [{"name": k, "value": v} for k, v in as_map(spec.get("environment")).items()],
        "resources": {"limits": spec.get("limits"), "requests": spec.get("requests")},
    }
    view = Container(spec=container, list_name="containers", index=0, path=spec_path)
    return Workload(
        resource=resource,
        spec={},
        spec_path=spec_path,
        metadata=as_map(resource.obj.get("metadata")),
        metadata_path=(*resource.prefix, "metadata"),
        containers=(view,),
        synthetic=True,
    )


def workload_of(resource: Resource) -> Workload | None:
    """The pod-spec view of a workload resource, or None for other kinds."""
    if resource.kind == "Function" and resource.api_version.startswith(_OPENFAAS_GROUP):
        return _openfaas(resource)
    template = _template_path(resource)
    if template is None:
        return None
    holder = as_map(resource.get(template)) if template else resource.obj
    spec_path = (*resource.prefix, *template, "spec")
    spec = holder.get("spec")
    if not isinstance(spec, dict):
        return None  # no pod spec, or a malformed one the API server would reject
    return Workload(
        resource=resource,
        spec=spec,
        spec_path=spec_path,
        metadata=as_map(holder.get("metadata")),
        metadata_path=(*resource.prefix, *template, "metadata"),
        containers=_containers(spec, spec_path),
    )


def render_path(root: Any, path: FieldPath) -> str:
    """A readable, line-independent field path: list items by ``[name]`` when they have one.

    ``spec.template.spec.containers[web].securityContext.privileged`` stays the same when
    containers are reordered or lines move, which is what a fingerprint anchor needs.
    """
    out: list[str] = []
    value: Any = root
    for key in path:
        if isinstance(key, int):
            item = value[key] if isinstance(value, list) and key < len(value) else None
            name = item.get("name") if isinstance(item, dict) else None
            out.append(f"[{name}]" if isinstance(name, str) and name else f"[{key}]")
            value = item
        else:
            out.append(f".{key}" if out else str(key))
            value = value.get(key) if isinstance(value, dict) else None
    return "".join(out)
