"""Which workloads the manifests of one scan make reachable, and through what.

Per file, :func:`observe` keeps only the objects that carry traffic to pods: Services,
Ingresses, Gateway API routes, Istio VirtualServices bound to a gateway, and each
workload's pod labels, images and ports. After the walk, :func:`exposures` links the
objects of every file (plain manifests and rendered overlays and charts alike):

1. A Service selects the workloads of its namespace whose pod template labels include
   its whole selector (a Service without a selector has hand-made endpoints and
   selects nothing; ``ExternalName`` points out of the cluster). A port whose
   ``targetPort`` is a name reaches only pods with a container port of that name.
2. The Service's type gives the level: ``LoadBalancer`` internet, ``NodePort`` node,
   ``ClusterIP`` (headless too) cluster.
3. An Ingress (``networking.k8s.io/v1`` rules and ``defaultBackend``; the
   ``v1beta1`` field names too), a Gateway API ``HTTPRoute``/``TLSRoute``/
   ``GRPCRoute``/``TCPRoute`` and an Istio ``VirtualService`` bound to a gateway
   other than ``mesh`` send outside traffic to a Service port in its namespace (or the
   namespace named by the reference): internet, through whatever that Service selects.
   A backend naming no Service of the scan leads nowhere.
4. ``hostNetwork: true`` and container ``hostPort`` open the pod on its node: node.

Namespaces are compared as written: an object without ``metadata.namespace`` is
linked only to others without one (both land in the namespace ``kubectl`` targets).
The outcome is deterministic: workloads in (namespace, kind, name) order, paths
widest first, then alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secloop.core.exposure import Exposure, WorkloadExposure, widest
from secloop.core.location import KubernetesResource
from secloop.scan.interface import Observation
from secloop.scan.misconfig.documents import Document
from secloop.scan.misconfig.kubernetes.model import (
    Resource,
    Workload,
    as_list,
    as_map,
    resources_of,
    workload_of,
)

__all__ = ["MAX_PATHS", "ManifestObjects", "exposures", "observe", "observe_viewed"]

#: Paths kept per workload; the rest are counted in a last line, never dropped silently.
MAX_PATHS = 50
_GATEWAY_GROUP = "gateway.networking.k8s.io/"
_GATEWAY_ROUTES = frozenset({"HTTPRoute", "TLSRoute", "GRPCRoute", "TCPRoute"})
_ISTIO_GROUP = "networking.istio.io/"
_SERVICE_LEVELS = {
    "LoadBalancer": Exposure.INTERNET,
    "NodePort": Exposure.NODE,
    "ClusterIP": Exposure.CLUSTER,
}

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Pod:
    """A workload as the graph sees it: who it is, its pod labels, images and ports."""

    ref: KubernetesResource
    labels: Labels
    images: tuple[str, ...]
    port_names: frozenset[str]
    host_paths: tuple[str, ...]  # hostNetwork / hostPort explanations (step 4)


@dataclass(frozen=True, slots=True)
class _ServicePort:
    name: str | None
    port: int | None
    target: int | str | None
    node_port: int | None

    @property
    def label(self) -> str:
        return str(self.port) if self.port is not None else (self.name or "?")


@dataclass(frozen=True, slots=True)
class _Service:
    ref: KubernetesResource
    type: str  # LoadBalancer, NodePort, ClusterIP, ExternalName
    headless: bool
    selector: Labels  # empty: selects nothing
    ports: tuple[_ServicePort, ...]


@dataclass(frozen=True, slots=True)
class _Backend:
    """One Service port a route sends traffic to; ``via`` says which host or rule."""

    namespace: str | None
    service: str
    port: int | str | None  # None: every port of the Service
    via: str


@dataclass(frozen=True, slots=True)
class _Route:
    ref: KubernetesResource
    backends: tuple[_Backend, ...]


@dataclass(frozen=True, slots=True)
class ManifestObjects(Observation):
    """The traffic-carrying objects of one file or one rendered stream."""

    pods: tuple[_Pod, ...]
    services: tuple[_Service, ...]
    routes: tuple[_Route, ...]


def _qualified(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def _named(ref: KubernetesResource) -> str:
    return f"{ref.kind} {_qualified(ref.namespace, ref.name)}"


def _labels(value: object) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in as_map(value).items()))


def _port(value: object) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value:
        return int(value) if value.isdigit() else value
    return None


# --- per file: what the graph needs from each object ------------------------------


def _pod(workload: Workload) -> _Pod:
    ref = workload.resource.ref
    images: list[str] = []
    port_names: set[str] = set()
    host_paths: list[str] = []
    if workload.spec.get("hostNetwork") is True:
        host_paths.append(f"hostNetwork on {_named(ref)}")
    for container in workload.containers:
        image = container.spec.get("image")
        if isinstance(image, str) and image and image not in images:
            images.append(image)
        for item in as_list(container.spec.get("ports")):
            port = as_map(item)
            name, host_port = port.get("name"), _port(port.get("hostPort"))
            if isinstance(name, str) and name:
                port_names.add(name)
            if isinstance(host_port, int) and host_port > 0:
                host_paths.append(
                    f"hostPort {host_port} (container {container.name}) on {_named(ref)}"
                )
    return _Pod(
        ref=ref,
        labels=_labels(workload.metadata.get("labels")),
        images=tuple(images),
        port_names=frozenset(port_names),
        host_paths=tuple(host_paths),
    )


def _service(resource: Resource) -> _Service:
    spec = as_map(resource.obj.get("spec"))
    kind = spec.get("type")
    ports = tuple(
        _ServicePort(
            name=str(p["name"]) if isinstance(p.get("name"), str) else None,
            port=port if isinstance(port := _port(p.get("port")), int) else None,
            target=_port(p.get("targetPort")),
            node_port=node if isinstance(node := _port(p.get("nodePort")), int) else None,
        )
        for p in map(as_map, as_list(spec.get("ports")))
    )
    return _Service(
        ref=resource.ref,
        type=kind if isinstance(kind, str) and kind else "ClusterIP",
        headless=spec.get("clusterIP") == "None",
        selector=_labels(spec.get("selector")),
        ports=ports,
    )


def _ingress_backend(
    backend: Mapping[str, Any], namespace: str | None, via: str
) -> _Backend | None:
    service = as_map(backend.get("service"))
    if service:  # networking.k8s.io/v1
        port = as_map(service.get("port"))
        name, number = service.get("name"), _port(port.get("number"))
        target = number if number is not None else _port(port.get("name"))
    else:  # extensions/v1beta1, networking.k8s.io/v1beta1
        name, target = backend.get("serviceName"), _port(backend.get("servicePort"))
    if not isinstance(name, str) or not name:
        return None  # a ``resource`` backend, or a malformed one
    return _Backend(namespace, name, target, via)


def _ingress(resource: Resource) -> _Route:
    spec = as_map(resource.obj.get("spec"))
    namespace = resource.namespace
    found: list[_Backend | None] = []
    default = as_map(spec.get("defaultBackend") or spec.get("backend"))
    if default:
        found.append(_ingress_backend(default, namespace, "default backend"))
    for rule in map(as_map, as_list(spec.get("rules"))):
        host = rule.get("host")
        via = f"host {host}" if isinstance(host, str) and host else "any host"
        for path in map(as_map, as_list(as_map(rule.get("http")).get("paths"))):
            found.append(_ingress_backend(as_map(path.get("backend")), namespace, via))
    return _Route(resource.ref, tuple(b for b in found if b is not None))


def _gateway_route(resource: Resource) -> _Route:
    spec = as_map(resource.obj.get("spec"))
    hosts = [h for h in as_list(spec.get("hostnames")) if isinstance(h, str)]
    via = f"host {', '.join(hosts)}" if hosts else "any host"
    backends: list[_Backend] = []
    for rule in map(as_map, as_list(spec.get("rules"))):
        for ref in map(as_map, as_list(rule.get("backendRefs"))):
            name, kind, group = ref.get("name"), ref.get("kind", "Service"), ref.get("group", "")
            if kind != "Service" or group not in ("", "core") or not isinstance(name, str):
                continue  # a backend of another kind is not a Service of this graph
            namespace = ref.get("namespace")
            namespace = (
                namespace if isinstance(namespace, str) and namespace else resource.namespace
            )
            backends.append(_Backend(namespace, name, _port(ref.get("port")), via))
    return _Route(resource.ref, tuple(backends))


def _istio_destination(host: str, namespace: str | None) -> tuple[str | None, str] | None:
    """``web``, ``web.shop``, ``web.shop.svc[.cluster.local]`` name a Service; others do not."""
    parts = host.split(".")
    if len(parts) == 1:
        return namespace, host
    if len(parts) == 2 or parts[2] == "svc":
        return parts[1], parts[0]
    return None


def _virtual_service(resource: Resource) -> _Route | None:
    spec = as_map(resource.obj.get("spec"))
    gateways = [g for g in as_list(spec.get("gateways")) if isinstance(g, str) and g != "mesh"]
    if not gateways:
        return None  # mesh-internal routing: the Services it names are already cluster-wide
    hosts = [h for h in as_list(spec.get("hosts")) if isinstance(h, str)]
    via = f"gateway {', '.join(gateways)}, host {', '.join(hosts) or 'any'}"
    backends: list[_Backend] = []
    for protocol in ("http", "tls", "tcp"):
        for entry in map(as_map, as_list(spec.get(protocol))):
            for route in map(as_map, as_list(entry.get("route"))):
                destination = as_map(route.get("destination"))
                host = destination.get("host")
                target = (
                    _istio_destination(host, resource.namespace) if isinstance(host, str) else None
                )
                if target is not None:
                    port = _port(as_map(destination.get("port")).get("number"))
                    backends.append(_Backend(target[0], target[1], port, via))
    return _Route(resource.ref, tuple(backends))


def _route(resource: Resource) -> _Route | None:
    api, kind = resource.api_version, resource.kind
    if kind == "Ingress":
        return _ingress(resource)
    if kind in _GATEWAY_ROUTES and api.startswith(_GATEWAY_GROUP):
        return _gateway_route(resource)
    if kind == "VirtualService" and api.startswith(_ISTIO_GROUP):
        return _virtual_service(resource)
    return None


def observe(documents: Iterable[Document]) -> ManifestObjects | None:
    """The traffic-carrying objects of some documents; None when there are none."""
    return observe_viewed(
        (resource, workload_of(resource))
        for document in documents
        for resource in resources_of(document)
    )


def observe_viewed(
    viewed: Iterable[tuple[Resource, Workload | None]],
) -> ManifestObjects | None:
    """:func:`observe` over resources already split out with their pod-spec views (the
    evaluation has them: deriving them again was a good part of the walk)."""
    pods: list[_Pod] = []
    services: list[_Service] = []
    routes: list[_Route] = []
    for resource, workload in viewed:
        if resource.kind == "Service" and resource.api_version == "v1":
            services.append(_service(resource))
        elif (route := _route(resource)) is not None:
            routes.append(route)
        elif workload is not None and not workload.synthetic:
            pods.append(_pod(workload))
    if not (pods or services or routes):
        return None
    return ManifestObjects(tuple(pods), tuple(services), tuple(routes))


# --- after the walk: the graph -----------------------------------------------------


def _selects(service: _Service, pod: _Pod) -> bool:
    """Step (1): same namespace, and every selector label on the pod template."""
    if not service.selector or service.ref.namespace != pod.ref.namespace:
        return False
    return set(service.selector) <= set(pod.labels)


def _by_label(pods: Iterable[_Pod]) -> dict[tuple[str | None, str, str], list[_Pod]]:
    """Pods by (namespace, label, value): a Service's candidates without a full scan."""
    index: dict[tuple[str | None, str, str], list[_Pod]] = {}
    for pod in pods:
        for label, value in pod.labels:
            index.setdefault((pod.ref.namespace, label, value), []).append(pod)
    return index


def _reaches(port: _ServicePort, pod: _Pod) -> bool:
    return not isinstance(port.target, str) or port.target in pod.port_names


def _matches(port: _ServicePort, wanted: int | str | None) -> bool:
    if wanted is None:
        return True
    return port.port == wanted if isinstance(wanted, int) else port.name == wanted


def _service_hop(service: _Service, port: _ServicePort) -> str:
    return f"Service {_qualified(service.ref.namespace, service.ref.name)}:{port.label}"


def _service_kind(service: _Service, port: _ServicePort) -> str:
    if service.type == "NodePort" and port.node_port is not None:
        return f"NodePort {port.node_port}"
    if service.type == "ClusterIP" and service.headless:
        return "headless"
    return service.type


@dataclass(slots=True)
class _Graph:
    pods: list[_Pod]
    services: dict[tuple[str | None, str], list[_Service]]
    paths: dict[tuple[str | None, str, str], dict[str, Exposure]]
    index: dict[tuple[str | None, str, str], list[_Pod]]

    def add(self, pod: _Pod, path: str, level: Exposure) -> None:
        self.paths.setdefault(_key(pod.ref), {})[path] = level

    def selected(self, service: _Service) -> list[_Pod]:
        """The pods ``service`` selects, among those carrying its rarest selector label."""
        if not service.selector:
            return []
        namespace = service.ref.namespace
        candidates = min(
            (self.index.get((namespace, label, value), []) for label, value in service.selector),
            key=len,
        )
        return [pod for pod in candidates if _selects(service, pod)]

    def serve(self, service: _Service, wanted: int | str | None) -> Iterator[tuple[_Pod, str]]:
        """Every (pod, ``Service ns/name:port``) hop ``service`` makes through ``wanted``."""
        for pod in self.selected(service):
            for port in service.ports:
                if _matches(port, wanted) and _reaches(port, pod):
                    yield pod, _service_hop(service, port)
                    break  # one path per service and pod: the first port that reaches it


def _key(ref: KubernetesResource) -> tuple[str | None, str, str]:
    return (ref.namespace, ref.kind, ref.name)


def _link_services(graph: _Graph) -> None:  # steps (1) and (2)
    for services in graph.services.values():
        for service in services:
            level = _SERVICE_LEVELS.get(service.type)
            if level is None:
                continue  # ExternalName (or an unknown type): nothing in the cluster behind it
            selected = graph.selected(service)
            for port in service.ports:
                for pod in selected:
                    if _reaches(port, pod):
                        kind = _service_kind(service, port)
                        hop = f"{_service_hop(service, port)} ({kind})"
                        graph.add(pod, f"{hop} → {_named(pod.ref)}", level)


def _link_routes(graph: _Graph, routes: Iterable[_Route]) -> None:  # step (3)
    for route in routes:
        for backend in route.backends:
            for service in graph.services.get((backend.namespace, backend.service), ()):
                if _SERVICE_LEVELS.get(service.type) is None:
                    continue
                for pod, hop in graph.serve(service, backend.port):
                    text = f"{_named(route.ref)} ({backend.via}) → {hop} → {_named(pod.ref)}"
                    graph.add(pod, text, Exposure.INTERNET)


def _ordered(paths: Mapping[str, Exposure]) -> tuple[str, ...]:
    ranked = sorted(paths, key=lambda text: (-paths[text].rank, text))
    if len(ranked) <= MAX_PATHS:
        return tuple(ranked)
    return (*ranked[:MAX_PATHS], f"… and {len(ranked) - MAX_PATHS} more paths")


def exposures(observations: Sequence[Observation]) -> tuple[WorkloadExposure, ...]:
    """Every workload the observations name, with its exposure (steps 1-4)."""
    objects = [o for o in observations if isinstance(o, ManifestObjects)]
    pods = [p for o in objects for p in o.pods]
    graph = _Graph(pods=pods, services={}, paths={}, index=_by_label(pods))
    for observed in objects:
        for service in observed.services:
            graph.services.setdefault((service.ref.namespace, service.ref.name), []).append(service)
    _link_services(graph)
    _link_routes(graph, (r for o in objects for r in o.routes))
    for pod in graph.pods:  # step (4)
        for text in pod.host_paths:
            graph.add(pod, text, Exposure.NODE)
    merged: dict[tuple[str | None, str, str], tuple[KubernetesResource, list[str]]] = {}
    for pod in graph.pods:  # the same workload plain and rendered: one entry, images merged
        _, images = merged.setdefault(_key(pod.ref), (pod.ref, []))
        images.extend(i for i in pod.images if i not in images)
    result: list[WorkloadExposure] = []
    for key in sorted(merged, key=lambda k: (k[0] or "", k[1], k[2])):
        ref, images = merged[key]
        paths = graph.paths.get(key, {})
        result.append(
            WorkloadExposure(
                resource=ref,
                images=tuple(images),
                level=widest(list(paths.values())),
                paths=_ordered(paths),
            )
        )
    return tuple(result)
