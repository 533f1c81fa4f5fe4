"""Parsing image manifests, indexes and configurations into domain values.

Parse, don't validate: every document from an archive, layout or registry is
untrusted, so each field used later is type-checked here, digests are checked for
shape (they become file names), and anything that breaks the schema is an ImageError
naming the document. Fields secloop does not use are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secloop.scan.artifact.image.digest import parse_digest
from secloop.scan.artifact.image.interface import (
    Descriptor,
    HistoryEntry,
    ImageConfig,
    ImageError,
    LayerBlob,
    Platform,
    ResolvedImage,
)

__all__ = [
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "ImageIndex",
    "ImageManifest",
    "build_resolved",
    "descend",
    "load_json",
    "parse_config",
    "parse_descriptor",
    "parse_document",
    "select_manifest",
]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
DEFAULT_PLATFORM = Platform("linux", "amd64")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageManifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageIndex:
    manifests: tuple[Descriptor, ...]


def load_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError as err:
        raise ImageError(f"{what}: not valid JSON ({err})") from None
    if not isinstance(document, dict):
        raise ImageError(f"{what}: expected a JSON object")
    return document


def _string(obj: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ImageError(f"{what}: '{key}' must be a string")
    return value


def _platform(value: object, what: str) -> Platform | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ImageError(f"{what}: 'platform' must be an object")
    os_name = _string(value, "os", what)
    arch = _string(value, "architecture", what)
    variant = _string(value, "variant", what, required=False)
    return Platform(os_name or "", arch or "", variant or None)


def parse_descriptor(obj: object, what: str) -> Descriptor:
    if not isinstance(obj, dict):
        raise ImageError(f"{what}: a descriptor must be an object")
    size = obj.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ImageError(f"{what}: 'size' must be a non-negative integer")
    annotations = obj.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise ImageError(f"{what}: 'annotations' must be an object")
    return Descriptor(
        media_type=_string(obj, "mediaType", what) or "",
        digest=parse_digest(obj.get("digest"), what=what),
        size=size,
        platform=_platform(obj.get("platform"), what),
        annotations=tuple((str(k), str(v)) for k, v in sorted(annotations.items())),
    )


def _descriptors(document: Mapping[str, Any], key: str, what: str) -> tuple[Descriptor, ...]:
    items = document.get(key)
    if not isinstance(items, list):
        raise ImageError(f"{what}: '{key}' must be a list")
    return tuple(parse_descriptor(item, f"{what} {key}[{i}]") for i, item in enumerate(items))


def parse_document(data: bytes, what: str) -> ImageManifest | ImageIndex:
    """A manifest or an index, told apart by mediaType or, when absent, by shape."""
    document = load_json(data, what)
    if document.get("schemaVersion") != 2:
        raise ImageError(f"{what}: unsupported schemaVersion {document.get('schemaVersion')!r}")
    media_type = document.get("mediaType")
    if media_type in INDEX_TYPES or (media_type is None and "manifests" in document):
        return ImageIndex(manifests=_descriptors(document, "manifests", what))
    if media_type in MANIFEST_TYPES or (media_type is None and "layers" in document):
        return ImageManifest(
            config=parse_descriptor(document.get("config"), f"{what} config"),
            layers=_descriptors(document, "layers", what),
        )
    raise ImageError(f"{what}: not an image manifest or index (mediaType {media_type!r})")


def _history(value: object, what: str) -> tuple[HistoryEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ImageError(f"{what}: 'history' must be a list")
    entries = []
    for item in value:
        if not isinstance(item, dict):
            raise ImageError(f"{what}: a history entry must be an object")
        created_by = item.get("created_by")
        entries.append(
            HistoryEntry(
                created_by=created_by if isinstance(created_by, str) else None,
                empty_layer=item.get("empty_layer") is True,
            )
        )
    return tuple(entries)


def _healthcheck(value: object, what: str) -> tuple[str, ...] | None:
    """``Healthcheck.Test``; ``["NONE"]`` (HEALTHCHECK NONE) counts as none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ImageError(f"{what}: 'Healthcheck' must be an object")
    test = value.get("Test")
    if not isinstance(test, list) or not test or test == ["NONE"]:
        return None
    return tuple(str(part) for part in test)


def _exposed_ports(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ImageError(f"{what}: 'ExposedPorts' must be an object")
    return tuple(sorted(str(port) for port in value))


def parse_config(data: bytes, what: str) -> ImageConfig:
    document = load_json(data, what)
    rootfs = document.get("rootfs")
    if not isinstance(rootfs, dict) or not isinstance(rootfs.get("diff_ids"), list):
        raise ImageError(f"{what}: 'rootfs.diff_ids' must be a list")
    diff_ids = tuple(
        parse_digest(d, what=f"{what} diff_ids[{i}]") for i, d in enumerate(rootfs["diff_ids"])
    )
    runtime = document.get("config") or {}
    if not isinstance(runtime, dict):
        raise ImageError(f"{what}: 'config' must be an object")
    env = runtime.get("Env") or []
    labels = runtime.get("Labels") or {}
    return ImageConfig(
        os=_string(document, "os", what, required=False),
        architecture=_string(document, "architecture", what, required=False),
        diff_ids=diff_ids,
        history=_history(document.get("history"), what),
        user=_string(runtime, "User", what, required=False),
        env=tuple(str(e) for e in env) if isinstance(env, list) else (),
        labels=tuple((str(k), str(v)) for k, v in sorted(labels.items()))
        if isinstance(labels, dict)
        else (),
        exposed_ports=_exposed_ports(runtime.get("ExposedPorts"), what),
        healthcheck=_healthcheck(runtime.get("Healthcheck"), what),
    )


def _matches(candidate: Platform | None, wanted: Platform) -> bool:
    if candidate is None:
        return False
    if (candidate.os, candidate.architecture) != (wanted.os, wanted.architecture):
        return False
    return wanted.variant is None or candidate.variant == wanted.variant


def select_manifest(index: ImageIndex, platform: Platform | None, what: str) -> Descriptor:
    """The index entry for ``platform`` (default linux/amd64); an index with a single
    image manifest and no platform request yields that manifest, and a lone nested
    index is followed (docker and containerd exports wrap the real index in one)."""
    images = [d for d in index.manifests if d.media_type in (*MANIFEST_TYPES, *INDEX_TYPES, "")]
    if len(images) == 1 and (platform is None or images[0].media_type in INDEX_TYPES):
        return images[0]  # a lone manifest, or a nested index that decides itself
    wanted = platform or DEFAULT_PLATFORM
    for descriptor in images:
        if _matches(descriptor.platform, wanted):
            return descriptor
    available = ", ".join(sorted({str(d.platform) for d in images if d.platform})) or "none"
    raise ImageError(f"{what}: no image for platform {wanted} (available: {available})")


def _created_by(history: Sequence[HistoryEntry], count: int) -> list[str | None]:
    """History entries with ``empty_layer`` make no layer; the rest map to layers in
    order. When the counts disagree, the history cannot be trusted to name layers."""
    layered = [h.created_by for h in history if not h.empty_layer]
    return layered if len(layered) == count else [None] * count


def build_resolved(
    *,
    manifest_digest: str | None,
    config_digest: str | None,
    layers: Sequence[Descriptor],
    config: ImageConfig,
    what: str,
) -> ResolvedImage:
    """Pair each layer blob with its diff id and history; their counts must agree."""
    if len(layers) != len(config.diff_ids):
        raise ImageError(
            f"{what}: {len(layers)} layers but {len(config.diff_ids)} diff ids in the config"
        )
    created = _created_by(config.history, len(layers))
    return ResolvedImage(
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        config=config,
        layers=tuple(
            LayerBlob(index=i, descriptor=d, diff_id=config.diff_ids[i], created_by=created[i])
            for i, d in enumerate(layers)
        ),
    )


def descend(
    document: ImageManifest | ImageIndex,
    *,
    digest: str | None,
    fetch: Callable[[Descriptor], bytes],
    platform: Platform | None,
    max_depth: int,
    what: str,
) -> tuple[ImageManifest, str | None]:
    """Follow indexes down to one image manifest; ``fetch`` returns verified bytes."""
    for _ in range(max_depth + 1):
        if isinstance(document, ImageManifest):
            return document, digest
        chosen = select_manifest(document, platform, what)
        digest = chosen.digest
        document = parse_document(fetch(chosen), f"{what} manifest {digest}")
    raise ImageError(f"{what}: image indexes nested deeper than {max_depth}")
