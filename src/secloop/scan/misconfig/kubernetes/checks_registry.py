"""Checks of where images come from: insecure registries and implicit Docker Hub pulls.

A configurable allowlist of registries is planned (issue #3); until then the defaults
are the ones that are wrong almost everywhere:

- an insecure registry hint: an ``http://`` prefix, an IP-literal or ``localhost``
  registry, port 5000 (the ``registry:2`` default, usually served without TLS), or a
  registry host naming itself ``insecure``. Such pulls are unauthenticated and can be
  tampered with on the network.
- a reference without a registry (``nginx:1.27``), which the runtime resolves to Docker
  Hub: a public registry the cluster owner does not control, with rate limits and
  typo-squatted names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import ClassVar

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import ContainerCheck, Hit, k8s_rule
from secloop.scan.misconfig.kubernetes.model import Container, Workload

__all__ = ["REGISTRY_CHECKS", "image_registry", "insecure_registry_reason"]

_IMAGES_DOC = "https://kubernetes.io/docs/concepts/containers/images/"
_INSECURE_DOC = "https://distribution.github.io/distribution/about/insecure/"
_SUPPLY = {"mitre-attack-containers": ("T1525", "T1195")}


def image_registry(image: str) -> str | None:
    """The registry host of an image reference, or None when it names none (Docker Hub).

    The first path component is a registry only when it has a ``.`` or ``:`` or is
    ``localhost`` (the rule the Docker reference grammar uses).
    """
    reference = image.split("://", 1)[-1]
    first, slash, _ = reference.partition("/")
    if not slash:
        return None
    if "." in first or ":" in first or first == "localhost":
        return first.lower()
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _host_port(registry: str) -> tuple[str, str]:
    """``host:port`` split; a bracketed IPv6 literal keeps its colons."""
    if registry.startswith("["):
        host, _, rest = registry.partition("]")
        return host + "]", rest.removeprefix(":")
    host, colon, port = registry.partition(":")
    return (host, port) if colon else (registry, "")


def insecure_registry_reason(image: str) -> str | None:
    """Why the image's registry looks like plain HTTP or unauthenticated, or None."""
    if image.lower().startswith("http://"):
        return "an http:// registry"
    registry = image_registry(image)
    if registry is None:
        return None
    host, port = _host_port(registry)
    if _is_ip(host) or host == "localhost":
        return f"an IP-literal or localhost registry ({registry})"
    if port == "5000":
        return f"a registry on port 5000 ({registry}), the default of plain-HTTP registries"
    if "insecure" in host:
        return f"a registry named insecure ({registry})"
    return None


def _image(container: Container) -> str | None:
    image = container.spec.get("image")
    return image.strip() if isinstance(image, str) and image.strip() else None


class InsecureRegistry(ContainerCheck):
    applies_to_functions: ClassVar[bool] = True
    rule = k8s_rule(
        id="SL-K8S-055",
        root_cause=RootCause.PLAIN_HTTP_REGISTRY,
        title="Image from an insecure registry",
        severity=Severity.MEDIUM,
        description=(
            "The image comes from a registry that looks plain-HTTP or unauthenticated: an "
            "`http://` prefix, an IP address or localhost, port 5000, or a host named "
            "insecure. Nodes must be configured to trust such registries, and pulls from "
            "them can be read and replaced on the network."
        ),
        remediation="Serve the registry over TLS under a DNS name, and pull by digest.",
        references=(_INSECURE_DOC, _IMAGES_DOC),
        frameworks=_SUPPLY,
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        image = _image(container)
        reason = insecure_registry_reason(image) if image else None
        if reason is not None:
            yield Hit(
                path=(*container.path, "image"),
                message=f"container {container.name!r} pulls {image} from {reason}",
                evidence=image,
            )


class ImplicitDockerHub(ContainerCheck):
    applies_to_functions: ClassVar[bool] = True
    rule = k8s_rule(
        id="SL-K8S-056",
        title="Image pulled implicitly from Docker Hub",
        severity=Severity.LOW,
        description=(
            "An image reference without a registry resolves to Docker Hub, a public registry "
            "outside the cluster owner's control (rate limits, typo-squatting, deleted "
            "tags). Naming the registry, ideally a mirror you control, makes the source "
            "explicit and reviewable."
        ),
        remediation="Prefix the image with its registry (`docker.io/library/nginx`) or a mirror.",
        references=(_IMAGES_DOC,),
        frameworks=_SUPPLY,
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        image = _image(container)
        if image is not None and "$" not in image and image_registry(image) is None:
            yield Hit(
                path=(*container.path, "image"),
                message=f"container {container.name!r} pulls {image} from Docker Hub implicitly",
                evidence=image,
            )


REGISTRY_CHECKS = (InsecureRegistry(), ImplicitDockerHub())
