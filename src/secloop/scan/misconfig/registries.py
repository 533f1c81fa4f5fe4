"""The registry allowlist (``allowed_registries`` / ``--allowed-registry``) and its checks.

An entry is a registry host (``registry.example.com``, ``ghcr.io``, ``docker.io``) or a
host with a path prefix (``ghcr.io/my-org``); a ``*.`` prefix allows every subdomain
(``*.example.com``). A reference without a registry is Docker Hub, written
``docker.io/library/<name>`` for official images, as the runtime resolves it, so
``docker.io`` (or ``docker.io/library``) allows them explicitly.

The checks exist only when an allowlist is configured: without one there is nothing
to compare against, and the catalogue and fixtures list them as optional.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from secloop.core.errors import UsageError
from secloop.core.severity import Severity
from secloop.scan.misconfig.compose.base import ComposeCheck, ComposeHit, compose_rule
from secloop.scan.misconfig.compose.model import Service
from secloop.scan.misconfig.dockerfile.base import DockerfileCheck, DockerHit, docker_rule
from secloop.scan.misconfig.dockerfile.checks_image import external_base
from secloop.scan.misconfig.dockerfile.parser import Dockerfile
from secloop.scan.misconfig.kubernetes.base import ContainerCheck, Hit, k8s_rule
from secloop.scan.misconfig.kubernetes.checks_registry import image_registry
from secloop.scan.misconfig.kubernetes.model import Container, Workload

__all__ = [
    "AllowedRegistries",
    "BaseImageRegistryNotAllowed",
    "ComposeImageRegistryNotAllowed",
    "RegistryNotAllowed",
    "canonical_image",
]

_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_KYVERNO_DOC = "https://kyverno.io/policies/best-practices/restrict-image-registries/"
_HADOLINT_DOC = "https://github.com/hadolint/hadolint/wiki/DL3026"


def canonical_image(image: str) -> str:
    """``nginx`` -> ``docker.io/library/nginx``; ``index.docker.io/x/y`` -> ``docker.io/x/y``."""
    reference = image.strip().split("://", 1)[-1]
    registry = image_registry(reference)
    if registry is None:
        path = reference if "/" in reference else f"library/{reference}"
        return f"docker.io/{path}"
    if registry in _DOCKER_HUB_ALIASES:
        return "docker.io/" + reference.split("/", 1)[1]
    return reference.lower().split("/", 1)[0] + "/" + reference.split("/", 1)[1]


class AllowedRegistries:
    """A parsed allowlist; ``allows(image)`` says whether an image reference is inside it."""

    def __init__(self, entries: Sequence[str]) -> None:
        cleaned = [entry.strip().strip("/") for entry in entries]
        for raw, entry in zip(entries, cleaned, strict=True):
            if not entry or "://" in entry or " " in entry:
                raise UsageError(
                    f"invalid allowed registry {raw!r}; expected a host such as "
                    "registry.example.com, optionally with a path (ghcr.io/my-org)"
                )
        self.entries = tuple(dict.fromkeys(_normalised_entry(e) for e in cleaned))

    def allows(self, image: str) -> bool:
        repository = _repository(canonical_image(image))
        host = repository.partition("/")[0].partition(":")[0]
        for entry in self.entries:
            if entry.startswith("*."):
                if host.endswith(entry[1:]):
                    return True
            elif repository == entry or repository.startswith(entry + "/"):
                return True
        return False

    def __str__(self) -> str:
        return ", ".join(self.entries)


def _repository(canonical: str) -> str:
    """The reference without its digest and tag: ``host[:port]/path``."""
    name = canonical.split("@", 1)[0]
    colon, slash = name.rfind(":"), name.rfind("/")
    return name[:colon] if colon > slash else name


def _normalised_entry(entry: str) -> str:
    host, slash, path = entry.partition("/")
    host = host.lower()
    if host in _DOCKER_HUB_ALIASES:
        host = "docker.io"
    return f"{host}{slash}{path}"


class RegistryNotAllowed(ContainerCheck):
    """Kubernetes: a container image from outside the allowlist."""

    applies_to_functions: ClassVar[bool] = True
    rule = k8s_rule(
        id="SL-K8S-064",
        title="Image from a registry outside the allowlist",
        severity=Severity.HIGH,
        description=(
            "The image comes from a registry (or organisation) that is not in the configured "
            "allowlist (`allowed_registries`, `--allowed-registry`). Images from unvetted "
            "registries bypass the scanning, signing and retention the allowed ones enforce. "
            "Reported only when an allowlist is configured."
        ),
        remediation="Mirror the image into an allowed registry and reference it from there.",
        references=(_KYVERNO_DOC,),
        peers={"kubescape": "C-0078"},
        frameworks={"mitre-attack-containers": ("T1525", "T1195")},
    )

    def __init__(self, allowed: AllowedRegistries) -> None:
        self._allowed = allowed

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        image = container.spec.get("image")
        if not isinstance(image, str) or not image.strip() or "$" in image:
            return
        if not self._allowed.allows(image):
            yield Hit(
                path=(*container.path, "image"),
                message=f"container {container.name!r} pulls {image.strip()}, outside the "
                f"allowed registries ({self._allowed})",
                evidence=image.strip(),
            )


class BaseImageRegistryNotAllowed(DockerfileCheck):
    """Dockerfile: a base image from outside the allowlist (hadolint DL3026)."""

    rule = docker_rule(
        id="SL-DF-041",
        title="Base image from a registry outside the allowlist",
        severity=Severity.HIGH,
        description=(
            "A FROM instruction pulls a base image from a registry (or organisation) that "
            "is not in the configured allowlist (`allowed_registries`, "
            "`--allowed-registry`). Build arguments are resolved to their defaults; stage "
            "references, `scratch` and images named by an argument without a default are "
            "not judged. Reported only when an allowlist is configured."
        ),
        remediation="Mirror the base image into an allowed registry and build FROM it there.",
        references=(_HADOLINT_DOC,),
        peers={"hadolint": "DL3026"},
        frameworks={"mitre-attack-containers": ("T1525", "T1195")},
    )

    def __init__(self, allowed: AllowedRegistries) -> None:
        self._allowed = allowed

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in dockerfile.stages:
            image = external_base(dockerfile, stage)
            if image is not None and not self._allowed.allows(image):
                yield DockerHit(
                    instruction=stage.from_instruction,
                    message=f"base image {image} is outside the allowed registries "
                    f"({self._allowed})",
                    evidence=image,
                )


class ComposeImageRegistryNotAllowed(ComposeCheck):
    """Compose: a service image pulled from outside the allowlist."""

    rule = compose_rule(
        id="SL-COMPOSE-020",
        title="Image from a registry outside the allowlist",
        severity=Severity.HIGH,
        description=(
            "The service pulls its image from a registry (or organisation) that is not in "
            "the configured allowlist (`allowed_registries`, `--allowed-registry`): it "
            "bypasses the scanning, signing and retention the allowed registries enforce. "
            "A service with `build:` is not judged (its `image:` names what it builds; "
            "SL-DF-041 judges the Dockerfile's base images), nor an image chosen by "
            "`${VAR}` interpolation. Reported only when an allowlist is configured."
        ),
        remediation="Mirror the image into an allowed registry and reference it from there.",
        references=(_KYVERNO_DOC, "https://docs.docker.com/reference/compose-file/services/#image"),
        frameworks={"mitre-attack-containers": ("T1525", "T1195")},
    )

    def __init__(self, allowed: AllowedRegistries) -> None:
        self._allowed = allowed

    def check(self, service: Service) -> Iterator[ComposeHit]:
        image = service.spec.get("image")
        if not isinstance(image, str) or not image.strip() or "$" in image:
            return
        if "build" in service.spec:
            return  # the name the build is tagged with, not an image pulled from a registry
        if not self._allowed.allows(image):
            yield ComposeHit(
                path=service.field("image"),
                message=f"service {service.name!r} pulls {image.strip()}, outside the allowed "
                f"registries ({self._allowed})",
                evidence=f"image: {image.strip()}",
            )
