"""Compose checks of what a service exposes: host paths, ports, images, secrets, limits."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.misconfig.compose.base import COMPOSE_SPEC, ComposeCheck, ComposeHit, compose_rule
from secloop.scan.misconfig.compose.model import Service, binds_of, env_of, ports_of
from secloop.scan.misconfig.kubernetes.checks_host import RUNTIME_SOCKETS, host_path_severity
from secloop.scan.misconfig.kubernetes.checks_workload import looks_like_secret, parse_image
from secloop.scan.misconfig.kubernetes.model import as_map

__all__ = ["EXPOSURE_CHECKS", "SENSITIVE_PORTS"]

_PORTS_DOC = "https://docs.docker.com/reference/compose-file/services/#ports"
_VOLUMES_DOC = "https://docs.docker.com/reference/compose-file/services/#volumes"
_ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})  # noqa: S104 - what we look for
#: Container ports of databases, caches, brokers and admin interfaces, which should not
#: be reachable from the network a developer's laptop or a host is on.
SENSITIVE_PORTS: dict[int, str] = {
    22: "SSH", 2375: "Docker API (plain)", 2376: "Docker API", 2379: "etcd", 3306: "MySQL",
    1433: "SQL Server", 1521: "Oracle", 5432: "PostgreSQL", 5984: "CouchDB", 6379: "Redis",
    7474: "Neo4j", 8086: "InfluxDB", 8500: "Consul", 9042: "Cassandra", 9092: "Kafka",
    9200: "Elasticsearch", 9300: "Elasticsearch", 10250: "kubelet", 11211: "Memcached",
    15672: "RabbitMQ management", 2181: "ZooKeeper", 27017: "MongoDB", 3389: "RDP",
    5601: "Kibana", 5900: "VNC", 5672: "RabbitMQ", 8200: "Vault", 9000: "MinIO/Portainer",
}  # fmt: skip
_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:(?P<password>[^@/\s]+)@", re.I)


def _host_path(source: str) -> str:
    return posixpath.normpath(source) if source.startswith("/") else source


class RuntimeSocket(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-013",
        title="Container runtime socket mounted",
        severity=Severity.CRITICAL,
        description=(
            "Whoever reaches the Docker (or containerd, CRI-O) socket can start a privileged "
            "container with the host's root filesystem: full host takeover."
        ),
        remediation="Do not mount runtime sockets; use a socket proxy with a narrow API allowlist.",
        references=(_VOLUMES_DOC, "https://docs.docker.com/engine/security/#docker-daemon-attack-surface"),
        frameworks={"cis-docker": ("5.31",), "mitre-attack-containers": ("T1611", "T1610")},
    )  # fmt: skip

    def check(self, service: Service) -> Iterator[ComposeHit]:
        for bind in binds_of(service):
            if _host_path(bind.source) in RUNTIME_SOCKETS:
                yield ComposeHit(
                    path=bind.path,
                    message=f"service {service.name!r} mounts {bind.source}",
                    evidence=bind.source,
                )


class SensitiveHostPath(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-014",
        title="Sensitive host path mounted",
        severity=Severity.HIGH,
        description=(
            "Mounting /, /etc, /proc, /sys, /root, /var/lib/kubelet or similar host paths (even "
            "read-only) leaks credentials and host configuration, and read-write allows "
            "taking over the host. Runtime sockets are reported by SL-COMPOSE-013."
        ),
        remediation="Mount only the application's own directories, or use named volumes.",
        references=(_VOLUMES_DOC,),
        frameworks={"cis-docker": ("5.5",), "mitre-attack-containers": ("T1611",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        for bind in binds_of(service):
            path = _host_path(bind.source)
            if path in RUNTIME_SOCKETS or not path.startswith("/"):
                continue
            if host_path_severity(path) >= Severity.HIGH:
                yield ComposeHit(
                    path=bind.path,
                    message=f"service {service.name!r} mounts host path {bind.source}",
                    evidence=bind.source,
                )


def _first_port(text: str) -> int | None:
    head = text.split("-", 1)[0]
    return int(head) if head.isdigit() else None


class SensitivePortOnAllInterfaces(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-015",
        title="Database or admin port published on all interfaces",
        severity=Severity.HIGH,
        description=(
            "A published port without a host IP listens on every interface of the host, and "
            "Docker's iptables rules bypass host firewalls such as ufw. Databases, caches, "
            "brokers, the Docker API and admin consoles then face whatever network the host "
            "is on. Recognised by the container port (5432, 3306, 6379, 27017, 2375, ...)."
        ),
        remediation=(
            "Bind to loopback (`127.0.0.1:5432:5432`), or do not publish the port and let "
            "other services reach it over the Compose network."
        ),
        references=(_PORTS_DOC,),
        frameworks={"cis-docker": ("5.13",), "mitre-attack-containers": ("T1133",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        for port in ports_of(service):
            target = _first_port(port.target)
            if port.host_ip not in _ALL_INTERFACES or target not in SENSITIVE_PORTS:
                continue
            what = SENSITIVE_PORTS[target]
            published = port.published or "a random port"
            yield ComposeHit(
                path=port.path,
                message=f"service {service.name!r} publishes {what} ({target}) on "
                f"{published} of every interface",
                evidence=f"{port.published}:{port.target}" if port.published else port.target,
                severity=Severity.CRITICAL if target in {2375, 2376} else None,
            )


class MutableImageTag(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-016",
        root_cause=RootCause.MUTABLE_IMAGE_REFERENCE,
        title="Image tag is latest or missing",
        severity=Severity.MEDIUM,
        description=(
            "`latest` (or no tag) means whatever was pushed last: builds are not reproducible "
            "and a compromised or broken push reaches the service on the next pull."
        ),
        remediation="Pin a version tag, ideally with a digest (`image: name:1.2.3@sha256:...`).",
        references=("https://docs.docker.com/reference/compose-file/services/#image",),
        frameworks={"mitre-attack-containers": ("T1525",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        image = service.spec.get("image")
        if not isinstance(image, str) or not image or "$" in image:
            return  # built locally, or chosen by interpolation at run time
        ref = parse_image(image)
        if ref.digest is None and ref.tag in (None, "latest"):
            yield ComposeHit(
                path=service.field("image"),
                message=f"service {service.name!r} uses image {image} without a fixed tag",
                evidence=f"image: {image}",
            )


class SecretInEnvironment(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-017",
        root_cause=RootCause.SECRET_IN_ENVIRONMENT,
        title="Credential written in the environment",
        severity=Severity.HIGH,
        description=(
            "A literal password, token or key in `environment` (or a URL with an embedded "
            "password) is committed with the file, shown by `docker inspect` and inherited by "
            "every process. `${VAR}` interpolation and `*_FILE` paths are not reported."
        ),
        remediation="Use `${VAR}` from an untracked .env file, or Compose `secrets:`.",
        references=("https://docs.docker.com/compose/how-tos/use-secrets/",),
        frameworks={"mitre-attack-containers": ("T1552",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        for var in env_of(service):
            value = var.value
            if value is None or "${" in value or value.startswith("$"):
                continue
            url = _URL_CREDENTIALS.match(value)
            if looks_like_secret(var.name, value) or (url and "$" not in url.group("password")):
                yield ComposeHit(
                    path=var.path,
                    message=f"service {service.name!r} sets {var.name} to a literal credential",
                    evidence=f"{var.name}=<redacted>",
                )


class NoMemoryLimit(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-018",
        title="No memory limit",
        severity=Severity.LOW,
        description=(
            "Without `mem_limit` or `deploy.resources.limits.memory`, one service can exhaust "
            "the host's memory and get its neighbours killed."
        ),
        remediation="Set `deploy.resources.limits.memory` (or `mem_limit`).",
        references=("https://docs.docker.com/reference/compose-file/deploy/#resources",),
        frameworks={"cis-docker": ("5.10",), "mitre-attack-containers": ("T1499",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        limits = as_map(as_map(as_map(service.spec.get("deploy")).get("resources")).get("limits"))
        if not service.spec.get("mem_limit") and not limits.get("memory"):
            yield ComposeHit(
                path=service.field("deploy", "resources", "limits", "memory"),
                message=f"service {service.name!r} has no memory limit",
            )


class HostDevices(ComposeCheck):
    rule = compose_rule(
        id="SL-COMPOSE-019",
        title="Host device exposed",
        severity=Severity.MEDIUM,
        description=(
            "`devices` hands a host device node to the container; block devices, /dev/mem or "
            "/dev/kmsg give direct access to host data or the kernel."
        ),
        remediation="Remove the device, or limit it with cgroup permissions (`:r`).",
        references=(f"{COMPOSE_SPEC}#devices",),
        frameworks={"cis-docker": ("5.17",), "mitre-attack-containers": ("T1611",)},
    )

    def check(self, service: Service) -> Iterator[ComposeHit]:
        devices = service.spec.get("devices")
        for index, device in enumerate(devices if isinstance(devices, list) else ()):
            source = device.get("source") if isinstance(device, dict) else str(device)
            yield ComposeHit(
                path=service.field("devices", index),
                message=f"service {service.name!r} gets host device {source}",
                evidence=str(source),
            )


EXPOSURE_CHECKS: tuple[ComposeCheck, ...] = (
    RuntimeSocket(),
    SensitiveHostPath(),
    SensitivePortOnAllInterfaces(),
    MutableImageTag(),
    SecretInEnvironment(),
    NoMemoryLimit(),
    HostDevices(),
)
