"""``docker save`` archives: ``manifest.json`` naming a config and the layer tars.

Both shapes are read: the legacy one (``<id>/layer.tar``, config ``<hex>.json``) and
Docker 25+'s OCI-flavoured one (``blobs/sha256/<hex>`` for config and layers). Where a
file name carries a digest it is verified; a legacy layer has none, and is checked
against its diff id when the layer is indexed (:mod:`.layers`).
"""

from __future__ import annotations

import json
import re
from io import BufferedReader
from typing import Any

from secloop.core.target import Target, TargetKind
from secloop.scan.artifact.image.container import Container, check_name
from secloop.scan.artifact.image.digest import bounded_stream, compute_digest, verified_stream
from secloop.scan.artifact.image.interface import (
    Descriptor,
    DigestMismatchError,
    ImageError,
    ImageLimits,
    ImageSource,
    LayerBlob,
    ResolvedImage,
)
from secloop.scan.artifact.image.manifest import build_resolved, parse_config

__all__ = ["DockerArchiveSource", "is_docker_archive"]

_DIGEST_NAME = re.compile(r"^(?:blobs/sha256/|)([a-f0-9]{64})(?:\.json)?$")
_LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar"


def is_docker_archive(container: Container) -> bool:
    return container.has("manifest.json")


def _digest_in_name(name: str) -> str | None:
    match = _DIGEST_NAME.match(name)
    return f"sha256:{match.group(1)}" if match else None


def _select(entries: list[Any], tag: str | None, what: str) -> dict[str, Any]:
    images = [e for e in entries if isinstance(e, dict)]
    if tag is not None:
        for entry in images:
            if tag in (entry.get("RepoTags") or []):
                return entry
        raise ImageError(f"{what}: no image tagged {tag!r} in the archive")
    if len(images) != 1:
        tags = sorted(t for e in images for t in (e.get("RepoTags") or []) if isinstance(t, str))
        raise ImageError(
            f"{what}: the archive holds {len(images)} images; name one with "
            f"ARCHIVE:TAG (tags: {', '.join(tags) or 'none'})"
        )
    return images[0]


class DockerArchiveSource(ImageSource):
    def __init__(
        self,
        container: Container,
        *,
        name: str,
        tag: str | None = None,
        limits: ImageLimits | None = None,
    ) -> None:
        self._container = container
        self._name = name
        self._tag = tag
        self._limits = limits or ImageLimits()
        self._target = Target(kind=TargetKind.IMAGE_ARCHIVE, name=name)

    @property
    def target(self) -> Target:
        return self._target

    def _entry(self) -> dict[str, Any]:
        raw = self._container.read("manifest.json", self._limits.max_manifest_bytes)
        try:
            document = json.loads(raw)
        except ValueError as err:
            raise ImageError(f"{self._name}: manifest.json is not valid JSON ({err})") from None
        if not isinstance(document, list):
            raise ImageError(f"{self._name}: manifest.json must be a list")
        return _select(document, self._tag, self._name)

    def _config(self, entry: dict[str, Any]) -> tuple[bytes, str]:
        name = entry.get("Config")
        if not isinstance(name, str):
            raise ImageError(f"{self._name}: manifest.json entry has no 'Config'")
        data = self._container.read(check_name(name, self._name), self._limits.max_config_bytes)
        actual = compute_digest(data)
        expected = _digest_in_name(name.removeprefix("./"))
        if expected is not None and expected != actual:
            raise DigestMismatchError(
                f"{self._name}: config {name} has digest {actual}, its name says {expected}"
            )
        return data, actual

    def _layers(self, entry: dict[str, Any]) -> list[Descriptor]:
        names = entry.get("Layers")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ImageError(f"{self._name}: manifest.json 'Layers' must be a list of paths")
        if len(names) > self._limits.max_layers:
            raise ImageError(f"{self._name}: more than {self._limits.max_layers} layers")
        self._layer_names = [check_name(n, self._name) for n in names]
        return [
            Descriptor(media_type=_LAYER_TYPE, digest=_digest_in_name(n), size=None)
            for n in self._layer_names
        ]

    def resolve(self) -> ResolvedImage:
        entry = self._entry()
        config_data, config_digest = self._config(entry)
        self._target = Target(kind=TargetKind.IMAGE_ARCHIVE, name=self._name)
        return build_resolved(
            manifest_digest=None,
            config_digest=config_digest,
            layers=self._layers(entry),
            config=parse_config(config_data, f"{self._name} config"),
            what=self._name,
        )

    def open_blob(self, layer: LayerBlob) -> BufferedReader:
        raw = self._container.open(self._layer_names[layer.index])
        what = f"{self._name} layer {layer.index} ({self._layer_names[layer.index]})"
        digest = layer.descriptor.digest
        if digest is None:
            return bounded_stream(raw, limit=self._limits.max_blob_bytes, what=what)
        return verified_stream(raw, digest=digest, expected_size=None, what=what)

    def close(self) -> None:
        self._container.close()
