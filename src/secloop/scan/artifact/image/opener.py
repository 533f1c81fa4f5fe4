"""Openers for images: local archives and layouts, and registry references.

``LocalImageOpener`` takes a path to a ``docker save`` archive (or its unpacked
directory), an OCI layout
directory or an OCI layout tar, optionally followed by ``:TAG`` to choose one image
(``image.tar:app:1.0``, ``layout-dir:latest``). ``RegistryOpener`` takes anything that
parses as an image reference, so it is only used by ``secloop image`` after the local
opener declined: the network is touched only for what the user named as an image.
"""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from secloop.scan.artifact.image.archive import DockerArchiveSource, is_docker_archive
from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.cache import BlobCache, default_cache_dir
from secloop.scan.artifact.image.container import open_container
from secloop.scan.artifact.image.http import Transport, UrllibTransport
from secloop.scan.artifact.image.interface import ImageError, ImageLimits, ImageSource, Platform
from secloop.scan.artifact.image.oci_layout import OciLayoutSource
from secloop.scan.artifact.image.reference import parse_reference
from secloop.scan.artifact.image.registry import RegistrySettings, RegistrySource
from secloop.scan.interface import Artifact, ArtifactError, Opener, ScanLimits

__all__ = ["ImageOptions", "LocalImageOpener", "RegistryOpener", "split_local_spec"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageOptions:
    platform: Platform | None = None
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    cache_dir: Path | None = None
    ca_file: Path | None = None
    timeout_seconds: float = 30.0
    limits: ImageLimits = field(default_factory=ImageLimits)


def _looks_like_image(path: Path) -> bool:
    if path.is_dir():
        return (path / "oci-layout").is_file() or (path / "manifest.json").is_file()
    return not (not path.is_file() or not tarfile.is_tarfile(path))


def split_local_spec(spec: str) -> tuple[Path, str | None] | None:
    """``(path, tag)`` when ``spec`` names a local image, optionally with ``:TAG``."""
    path = Path(spec)
    if path.exists():
        return (path, None) if _looks_like_image(path) else None
    head, sep, tag = spec.partition(":")
    while sep:
        if Path(head).exists() and _looks_like_image(Path(head)):
            return Path(head), tag
        more, sep, rest = tag.partition(":")
        head, tag = f"{head}:{more}", rest
    return None


class LocalImageOpener(Opener):
    name = "image-local"

    def __init__(self, options: ImageOptions | None = None) -> None:
        self._options = options or ImageOptions()

    def can_open(self, spec: str) -> bool:
        return split_local_spec(spec) is not None

    def source(self, spec: str) -> ImageSource:
        found = split_local_spec(spec)
        if found is None:
            raise ArtifactError(f"{spec}: not a docker archive or OCI image layout")
        path, tag = found
        container = open_container(path)
        try:
            if is_docker_archive(container):
                return DockerArchiveSource(
                    container, name=spec, tag=tag, limits=self._options.limits
                )
            if container.has("oci-layout"):
                return OciLayoutSource(
                    container,
                    name=spec,
                    ref_name=tag,
                    platform=self._options.platform,
                    limits=self._options.limits,
                )
        except BaseException:
            container.close()
            raise
        container.close()
        raise ImageError(f"{spec}: a tar archive, but neither a docker archive nor OCI layout")

    def open(
        self, spec: str, *, limits: ScanLimits, excludes: Sequence[str], use_gitignore: bool
    ) -> Artifact:
        return ImageArtifact(
            self.source(spec),
            limits=limits,
            image_limits=self._options.limits,
            excludes=excludes,
        )


class RegistryOpener(Opener):
    name = "image-registry"

    def __init__(
        self, options: ImageOptions | None = None, *, transport: Transport | None = None
    ) -> None:
        self._options = options or ImageOptions()
        self._transport = transport

    def can_open(self, spec: str) -> bool:
        try:
            parse_reference(spec)
        except ImageError:
            return False
        return True

    def source(self, spec: str) -> RegistrySource:
        options = self._options
        transport = self._transport or UrllibTransport(
            ca_file=options.ca_file, timeout=options.timeout_seconds
        )
        return RegistrySource(
            parse_reference(spec),
            name=spec,
            transport=transport,
            cache=BlobCache(options.cache_dir or default_cache_dir()),
            settings=replace(options.registry, platform=options.platform, limits=options.limits),
        )

    def open(
        self, spec: str, *, limits: ScanLimits, excludes: Sequence[str], use_gitignore: bool
    ) -> Artifact:
        return ImageArtifact(
            self.source(spec),
            limits=limits,
            image_limits=self._options.limits,
            excludes=excludes,
        )
