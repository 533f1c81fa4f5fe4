"""Image references: ``[registry[:port]/]repository[:tag][@digest]``.

The first component is a registry host when it contains ``.`` or ``:`` or is
``localhost`` (the rule of distribution/reference); otherwise the image is on Docker
Hub, where one-component names live under ``library/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from secloop.scan.artifact.image.digest import parse_digest
from secloop.scan.artifact.image.interface import ImageError

__all__ = ["DOCKER_HUB", "ImageReference", "identity_of", "parse_reference"]

DOCKER_HUB = "registry-1.docker.io"
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$")


@dataclass(frozen=True, slots=True)
class ImageReference:
    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """What the manifest endpoint is asked for: the digest when pinned."""
        return self.digest or self.tag or "latest"

    @property
    def identity(self) -> str:
        """One spelling per image, for matching references written by different tools:
        the registry host lower-cased (``docker.io`` for Docker Hub), then the digest
        when pinned (a tag beside a digest does not select anything), else the tag."""
        host = "docker.io" if self.registry == DOCKER_HUB else self.registry.lower()
        where = f"@{self.digest}" if self.digest else f":{self.tag or 'latest'}"
        return f"{host}/{self.repository}{where}"

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        text += f":{self.tag}" if self.tag else ""
        return text + (f"@{self.digest}" if self.digest else "")


def _split_registry(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if not _HOST.match(first):
            raise ImageError(f"{name}: invalid registry host {first!r}")
        return first, rest
    return DOCKER_HUB, name if "/" in name else f"library/{name}"


def parse_reference(text: str) -> ImageReference:
    """``text`` as a reference; ImageError when it is not one."""
    name, _, digest = text.strip().partition("@")
    tag: str | None = None
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise ImageError(f"{text}: invalid tag {tag!r}")
    registry, repository = _split_registry(name)
    if registry in ("docker.io", "index.docker.io"):
        registry = DOCKER_HUB
        repository = repository if "/" in repository else f"library/{repository}"
    if not repository or not all(_COMPONENT.match(c) for c in repository.split("/")):
        raise ImageError(f"{text}: invalid repository name {repository!r}")
    return ImageReference(
        registry=registry,
        repository=repository,
        tag=tag if tag or digest else "latest",
        digest=parse_digest(digest, what=text) if digest else None,
    )


def identity_of(text: str) -> str | None:
    """:attr:`ImageReference.identity` of ``text``; None when it is no image reference
    (a manifest's image field can hold anything)."""
    try:
        return parse_reference(text).identity
    except ImageError:
        return None
