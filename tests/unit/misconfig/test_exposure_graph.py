"""The exposure graph: Services, Ingresses and routes linked to the workloads they reach."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secloop.core.exposure import Exposure, WorkloadExposure
from secloop.core.location import KubernetesResource
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import Observation
from secloop.scan.misconfig.documents import parse_yaml
from secloop.scan.misconfig.kubernetes.exposure import MAX_PATHS, exposures, observe
from secloop.scan.registry import default_registry


def deployment(name: str = "web", namespace: str | None = "shop", **labels: str) -> str:
    labels = labels or {"app": name}
    ns = f", namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}{ns}}}
spec:
  template:
    metadata: {{labels: {labels!r}}}
    spec:
      containers:
      - name: {name}
        image: ghcr.io/acme/{name}:1.2
        ports: [{{name: http, containerPort: 8080}}]
"""


def service(
    name: str = "web",
    namespace: str | None = "shop",
    *,
    kind: str = "ClusterIP",
    target: str = "8080",
    selector: str = "{app: web}",
    extra: str = "",
) -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}{ns}}}
spec:
  type: {kind}
  selector: {selector}
  ports: [{{name: web, port: 80, targetPort: {target}{extra}}}]
"""


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
"""


def graph(*texts: str) -> dict[str, WorkloadExposure]:
    """The workloads of some files, each file observed apart (as the scanner does)."""
    observations: list[Observation] = []
    for text in texts:
        observed = observe(parse_yaml(text).documents)
        if observed is not None:
            observations.append(observed)
    return {w.resource.display: w for w in exposures(observations)}


def test_ingress_to_service_to_deployment_across_files_is_internet() -> None:
    found = graph(deployment(), service(), INGRESS)
    web = found["Deployment/shop/web"]
    assert web.level is Exposure.INTERNET
    assert web.images == ("ghcr.io/acme/web:1.2",)
    assert web.paths == (
        "Ingress shop/web (host shop.example.com) → Service shop/web:80 → Deployment shop/web",
        "Service shop/web:80 (ClusterIP) → Deployment shop/web",
    )


@pytest.mark.parametrize(
    ("kind", "level", "label"),
    [
        ("LoadBalancer", Exposure.INTERNET, "LoadBalancer"),
        ("NodePort", Exposure.NODE, "NodePort 30080"),
        ("ClusterIP", Exposure.CLUSTER, "ClusterIP"),
    ],
)
def test_service_type_gives_the_level(kind: str, level: Exposure, label: str) -> None:
    extra = ", nodePort: 30080" if kind == "NodePort" else ""
    web = graph(deployment(), service(kind=kind, extra=extra))["Deployment/shop/web"]
    assert web.level is level
    assert web.paths == (f"Service shop/web:80 ({label}) → Deployment shop/web",)


def test_external_name_service_reaches_nothing() -> None:
    text = service(kind="ExternalName")
    assert graph(deployment(), text, INGRESS)["Deployment/shop/web"].level is Exposure.NONE


def test_selector_must_be_a_subset_of_the_pod_labels() -> None:
    wider = service(selector="{app: web, tier: front}")
    assert graph(deployment(), wider)["Deployment/shop/web"].level is Exposure.NONE
    subset = service(selector="{app: web}")
    both = graph(deployment(app="web", tier="front"), subset)["Deployment/shop/web"]
    assert both.level is Exposure.CLUSTER


def test_label_mismatch_and_empty_selector_select_nothing() -> None:
    assert (
        graph(deployment(), service(selector="{app: api}"))["Deployment/shop/web"].level
        is Exposure.NONE
    )
    assert graph(deployment(), service(selector="{}"))["Deployment/shop/web"].paths == ()


def test_service_selects_only_in_its_own_namespace() -> None:
    found = graph(deployment(namespace="other"), service(), INGRESS)
    assert found["Deployment/other/web"].level is Exposure.NONE
    unset = graph(deployment(namespace=None), service(namespace=None))
    assert unset["Deployment/web"].level is Exposure.CLUSTER


def test_named_target_port_needs_a_container_port_of_that_name() -> None:
    assert graph(deployment(), service(target="http"))["Deployment/shop/web"].level is (
        Exposure.CLUSTER
    )
    missing = graph(deployment(), service(target="metrics"), INGRESS)
    assert missing["Deployment/shop/web"].level is Exposure.NONE


def test_ingress_names_a_service_port_by_name() -> None:
    by_name = INGRESS.replace("port: {number: 80}", "port: {name: web}")
    wrong = INGRESS.replace("port: {number: 80}", "port: {name: admin}")
    assert graph(deployment(), service(), by_name)["Deployment/shop/web"].level is Exposure.INTERNET
    assert graph(deployment(), service(), wrong)["Deployment/shop/web"].level is Exposure.CLUSTER


def test_ingress_to_a_missing_service_exposes_nothing() -> None:
    assert graph(deployment(), INGRESS)["Deployment/shop/web"].level is Exposure.NONE


def test_default_backend_and_v1beta1_backends() -> None:
    default = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catchall, namespace: shop}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
"""
    legacy = """\
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old, namespace: shop}
spec:
  rules:
  - http: {paths: [{backend: {serviceName: web, servicePort: 80}}]}
"""
    web = graph(deployment(), service(), default, legacy)["Deployment/shop/web"]
    assert web.paths[:2] == (
        "Ingress shop/catchall (default backend) → Service shop/web:80 → Deployment shop/web",
        "Ingress shop/old (any host) → Service shop/web:80 → Deployment shop/web",
    )


def test_gateway_api_routes_reach_services_across_namespaces() -> None:
    route = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: front, namespace: edge}
spec:
  parentRefs: [{name: public}]
  hostnames: [shop.example.com]
  rules:
  - backendRefs:
    - {name: web, namespace: shop, port: 80}
    - {name: bucket, kind: Backend, group: example.com}
"""
    web = graph(deployment(), service(), route)["Deployment/shop/web"]
    assert web.level is Exposure.INTERNET
    assert web.paths[0] == (
        "HTTPRoute edge/front (host shop.example.com) → Service shop/web:80 → Deployment shop/web"
    )
    grpc = route.replace("HTTPRoute", "GRPCRoute").replace("namespace: shop, ", "")
    assert graph(deployment(), service(), grpc)["Deployment/shop/web"].level is Exposure.CLUSTER


def test_istio_virtual_service_counts_only_when_bound_to_a_gateway() -> None:
    bound = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http: [{route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]}]
"""
    mesh = bound.replace("[istio-system/public]", "[mesh]")
    web = graph(deployment(), service(), bound)["Deployment/shop/web"]
    assert web.paths[0].startswith("VirtualService shop/web (gateway istio-system/public")
    assert graph(deployment(), service(), mesh)["Deployment/shop/web"].level is Exposure.CLUSTER


def test_host_network_and_host_port_open_the_node() -> None:
    host = (
        deployment()
        .replace("      containers:", "      hostNetwork: true\n      containers:")
        .replace("containerPort: 8080}", "containerPort: 8080, hostPort: 8080}")
    )
    web = graph(host)["Deployment/shop/web"]
    assert web.level is Exposure.NODE
    assert web.paths == (
        "hostNetwork on Deployment shop/web",
        "hostPort 8080 (container web) on Deployment shop/web",
    )


def test_multiple_paths_widest_first_and_every_selected_workload() -> None:
    lb = service(name="web-lb", kind="LoadBalancer")
    found = graph(deployment(), deployment("api", app="web"), service(), lb)
    assert found["Deployment/shop/api"].level is Exposure.INTERNET
    assert found["Deployment/shop/web"].paths == (
        "Service shop/web-lb:80 (LoadBalancer) → Deployment shop/web",
        "Service shop/web:80 (ClusterIP) → Deployment shop/web",
    )


def test_too_many_paths_are_counted_not_dropped() -> None:
    services = [service(name=f"s{i:03}") for i in range(MAX_PATHS + 3)]
    web = graph(deployment(), *services)["Deployment/shop/web"]
    assert len(web.paths) == MAX_PATHS + 1
    assert web.paths[-1] == "… and 3 more paths"


def test_the_same_workload_seen_twice_is_one_entry_and_order_is_stable() -> None:
    first = graph(deployment(), service(), deployment(), deployment("db"))
    assert list(first) == ["Deployment/shop/db", "Deployment/shop/web"]
    again = graph(deployment("db"), deployment(), service(), deployment())
    assert first == again


def test_files_without_kubernetes_objects_observe_nothing() -> None:
    assert observe(parse_yaml("name: ci\non: push\n").documents) is None


def test_a_reachable_level_needs_a_path() -> None:
    ref = KubernetesResource(api_version="v1", kind="Pod", name="p")
    with pytest.raises(ValueError, match="exposure internet with 0 paths"):
        WorkloadExposure(resource=ref, images=(), level=Exposure.INTERNET)


def test_scan_of_a_directory_reports_workloads_only_with_the_kubernetes_scanner(
    tmp_path: Path,
) -> None:
    (tmp_path / "web.yaml").write_text(deployment() + "---\n" + service(), encoding="utf-8")
    (tmp_path / "ingress.yaml").write_text(INGRESS, encoding="utf-8")
    result = run_scan(ScanRequest(spec=str(tmp_path), scanners=("kubernetes",)), default_registry())
    (web,) = result.workloads
    assert web.level is Exposure.INTERNET
    assert len(web.paths) == 2
    secrets_only = run_scan(
        ScanRequest(spec=str(tmp_path), scanners=("secret",)), default_registry()
    )
    assert secrets_only.workloads == ()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_rendered_overlay_objects_join_the_graph(tmp_path: Path) -> None:
    """The Ingress exists only in the overlay; the Deployment and Service only in the base:
    the rendered stream links them in the overlay's namespace."""
    base, overlay = tmp_path / "base", tmp_path / "overlays" / "prod"
    base.mkdir(parents=True)
    overlay.mkdir(parents=True)
    (base / "app.yaml").write_text(
        deployment(namespace=None) + "---\n" + service(namespace=None), encoding="utf-8"
    )
    (base / "kustomization.yaml").write_text("resources: [app.yaml]\n", encoding="utf-8")
    (overlay / "ingress.yaml").write_text(
        INGRESS.replace("namespace: shop", "namespace: prod"), encoding="utf-8"
    )
    (overlay / "kustomization.yaml").write_text(
        "namespace: prod\nresources: [../../base, ingress.yaml]\n", encoding="utf-8"
    )
    request = ScanRequest(spec=str(tmp_path), scanners=("kubernetes", "render"))
    found = {w.resource.display: w for w in run_scan(request, default_registry()).workloads}
    assert found["Deployment/web"].level is Exposure.CLUSTER  # the base file as it is
    assert found["Deployment/prod/web"].paths[0] == (
        "Ingress prod/web (host shop.example.com) → Service prod/web:80 → Deployment prod/web"
    )
