"""OCI image layouts (image-spec ``image-layout.md``), as a directory or a tar.

``index.json`` lists the images; one is chosen by its ``org.opencontainers.image.ref.name``
annotation (``layout:tag``), else by platform. Every blob read, manifests and config
included, is checked against its descriptor's size and digest.
"""

from __future__ import annotations

from io import BufferedReader

from secloop.core.target import Target, TargetKind
from secloop.scan.artifact.image.container import Container
from secloop.scan.artifact.image.digest import verified_stream
from secloop.scan.artifact.image.interface import (
    Descriptor,
    ImageError,
    ImageLimits,
    ImageSource,
    LayerBlob,
    Platform,
    ResolvedImage,
)
from secloop.scan.artifact.image.manifest import (
    ImageIndex,
    build_resolved,
    descend,
    load_json,
    parse_config,
    parse_document,
)

__all__ = ["OciLayoutSource", "blob_name", "read_blob"]

REF_NAME = "org.opencontainers.image.ref.name"


def blob_name(digest: str) -> str:
    """``blobs/<alg>/<hex>``; ``digest`` was shape-checked when it was parsed."""
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def read_blob(container: Container, descriptor: Descriptor, limit: int, what: str) -> bytes:
    """A small blob (manifest, config), verified against its descriptor."""
    if descriptor.digest is None:  # pragma: no cover - layout descriptors always have one
        raise ImageError(f"{what}: descriptor without a digest")
    if descriptor.size is not None and descriptor.size > limit:
        raise ImageError(f"{what}: {descriptor.size} bytes, limit {limit}")
    raw = container.open(blob_name(descriptor.digest))
    with verified_stream(
        raw, digest=descriptor.digest, expected_size=descriptor.size, what=what
    ) as reader:
        data = reader.read(limit + 1)
        reader.read(1)  # reach the end, so the digest is checked
    return data


class OciLayoutSource(ImageSource):
    def __init__(
        self,
        container: Container,
        *,
        name: str,
        ref_name: str | None = None,
        platform: Platform | None = None,
        limits: ImageLimits | None = None,
    ) -> None:
        self._container = container
        self._name = name
        self._ref_name = ref_name
        self._platform = platform
        self._limits = limits or ImageLimits()
        self._target = Target(kind=TargetKind.OCI_LAYOUT, name=name)

    @property
    def target(self) -> Target:
        return self._target

    def _fetch(self, descriptor: Descriptor) -> bytes:
        return read_blob(
            self._container, descriptor, self._limits.max_manifest_bytes, f"{self._name} blob"
        )

    def _root_index(self) -> ImageIndex:
        if not self._container.has("oci-layout"):
            raise ImageError(f"{self._name}: no oci-layout file; not an OCI image layout")
        layout = load_json(self._container.read("oci-layout", 4096), f"{self._name} oci-layout")
        if not str(layout.get("imageLayoutVersion", "")).startswith("1."):
            raise ImageError(f"{self._name}: unsupported imageLayoutVersion")
        data = self._container.read("index.json", self._limits.max_manifest_bytes)
        index = parse_document(data, f"{self._name} index.json")
        if not isinstance(index, ImageIndex):
            raise ImageError(f"{self._name}: index.json is not an image index")
        return index

    def _by_ref_name(self, index: ImageIndex) -> ImageIndex:
        if self._ref_name is None:
            return index
        chosen = [d for d in index.manifests if dict(d.annotations).get(REF_NAME) == self._ref_name]
        if not chosen:
            names = sorted({dict(d.annotations).get(REF_NAME, "") for d in index.manifests} - {""})
            raise ImageError(
                f"{self._name}: no image tagged {self._ref_name!r} "
                f"(tags: {', '.join(names) or 'none'})"
            )
        return ImageIndex(manifests=tuple(chosen))

    def resolve(self) -> ResolvedImage:
        index = self._by_ref_name(self._root_index())
        manifest, digest = descend(
            index,
            digest=None,
            fetch=self._fetch,
            platform=self._platform,
            max_depth=self._limits.max_index_depth,
            what=self._name,
        )
        config_data = read_blob(
            self._container, manifest.config, self._limits.max_config_bytes, f"{self._name} config"
        )
        self._target = Target(kind=TargetKind.OCI_LAYOUT, name=self._name, digest=digest)
        return build_resolved(
            manifest_digest=digest,
            config_digest=manifest.config.digest,
            layers=manifest.layers,
            config=parse_config(config_data, f"{self._name} config"),
            what=self._name,
        )

    def open_blob(self, layer: LayerBlob) -> BufferedReader:
        descriptor = layer.descriptor
        if descriptor.digest is None:  # pragma: no cover - layout descriptors always have one
            raise ImageError(f"{self._name}: layer {layer.index} has no digest")
        if descriptor.size is not None and descriptor.size > self._limits.max_blob_bytes:
            raise ImageError(f"{self._name}: layer {layer.index} exceeds the blob size limit")
        raw = self._container.open(blob_name(descriptor.digest))
        what = f"{self._name} layer {layer.index} ({descriptor.digest})"
        return verified_stream(
            raw, digest=descriptor.digest, expected_size=descriptor.size, what=what
        )

    def close(self) -> None:
        self._container.close()
