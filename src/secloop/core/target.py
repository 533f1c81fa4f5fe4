"""What a scan examined."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TargetKind(StrEnum):
    DIRECTORY = "directory"
    FILE = "file"
    GIT_REPOSITORY = "git_repository"
    IMAGE_ARCHIVE = "image_archive"
    OCI_LAYOUT = "oci_layout"
    REGISTRY_IMAGE = "registry_image"
    ROOTFS = "rootfs"
    CLUSTER = "cluster"
    SBOM = "sbom"


@dataclass(frozen=True, slots=True)
class Target:
    """A scanned thing: ``name`` is how the user named it (a path, an image reference)."""

    kind: TargetKind
    name: str
    digest: str | None = None
