"""Build real image layers, OCI layouts and docker archives in Python, no Docker.

Each helper writes the formats as their specifications describe them (OCI image-spec
image-layout.md, manifest.md, config.md; docker save's manifest.json), so the tests
exercise the same bytes a real tool would produce.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


@dataclass(frozen=True)
class Entry:
    """One tar member: a file (data), dir, symlink, hardlink or special (type)."""

    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""


def file(name: str, data: bytes | str) -> Entry:
    return Entry(name, data.encode() if isinstance(data, str) else data)


def directory(name: str) -> Entry:
    return Entry(name, type=tarfile.DIRTYPE)


def symlink(name: str, target: str) -> Entry:
    return Entry(name, type=tarfile.SYMTYPE, linkname=target)


def hardlink(name: str, target: str) -> Entry:
    return Entry(name, type=tarfile.LNKTYPE, linkname=target)


def layer_tar(entries: Sequence[Entry]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.type = entry.type
            info.linkname = entry.linkname
            info.mode = 0o755 if entry.type == tarfile.DIRTYPE else 0o644
            if entry.type == tarfile.REGTYPE:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Layer:
    entries: Sequence[Entry]
    created_by: str = "RUN true"
    compress: bool = True
    #: zstd instead of gzip, as ``skopeo copy --dest-compress-format zstd`` writes it.
    zstd: bool = False

    @property
    def tar(self) -> bytes:
        return layer_tar(self.entries)

    @property
    def blob(self) -> bytes:
        if not self.compress:
            return self.tar
        if self.zstd:
            return zstandard.ZstdCompressor().compress(self.tar)
        return gzip.compress(self.tar, mtime=0)

    @property
    def media_type(self) -> str:
        if not self.compress:
            return LAYER_TAR
        return LAYER_ZSTD if self.zstd else LAYER_GZIP


@dataclass
class Image:
    layers: Sequence[Layer]
    user: str = ""
    env: Sequence[str] = ()
    arch: str = "amd64"
    blobs: dict[str, bytes] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    exposed_ports: Sequence[str] = ()
    healthcheck: Sequence[str] | None = None
    #: Extra history entries without a layer (``ENV``, ``ARG`` ...), appended last.
    empty_history: Sequence[str] = ()

    def runtime(self) -> dict[str, object]:
        runtime: dict[str, object] = {"User": self.user, "Env": list(self.env)}
        if self.labels:
            runtime["Labels"] = dict(self.labels)
        if self.exposed_ports:
            runtime["ExposedPorts"] = {port: {} for port in self.exposed_ports}
        if self.healthcheck is not None:
            runtime["Healthcheck"] = {"Test": list(self.healthcheck)}
        return runtime

    def config(self) -> bytes:
        history: list[dict[str, object]] = [{"created_by": x.created_by} for x in self.layers]
        history.insert(0, {"created_by": "LABEL a=b", "empty_layer": True})
        history += [{"created_by": text, "empty_layer": True} for text in self.empty_history]
        document = {
            "architecture": self.arch,
            "os": "linux",
            "config": self.runtime(),
            "rootfs": {"type": "layers", "diff_ids": [sha256(x.tar) for x in self.layers]},
            "history": history,
        }
        return json.dumps(document).encode()

    def manifest(self) -> bytes:
        config = self.config()
        self.blobs[sha256(config)] = config
        layers = []
        for layer in self.layers:
            blob = layer.blob
            self.blobs[sha256(blob)] = blob
            layers.append(
                {"mediaType": layer.media_type, "digest": sha256(blob), "size": len(blob)}
            )
        document = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": layers,
        }
        return json.dumps(document).encode()


def descriptor(media_type: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def write_oci_layout(
    root: Path, images: Sequence[Image], *, tags: Sequence[str] = (), as_index: bool = False
) -> Path:
    """An OCI layout; ``as_index`` puts the images behind one multi-platform index."""
    blobs: dict[str, bytes] = {}
    descriptors = []
    for position, image in enumerate(images):
        manifest = image.manifest()
        blobs.update(image.blobs)
        blobs[sha256(manifest)] = manifest
        extra: dict[str, object] = {"platform": {"os": "linux", "architecture": image.arch}}
        if position < len(tags):
            extra["annotations"] = {"org.opencontainers.image.ref.name": tags[position]}
        descriptors.append(descriptor(OCI_MANIFEST, manifest, **extra))
    if as_index:
        index = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
        ).encode()
        blobs[sha256(index)] = index
        descriptors = [descriptor(OCI_INDEX, index)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    top = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    (root / "index.json").write_text(json.dumps(top))
    for digest, data in blobs.items():
        path = root / "blobs" / "sha256" / digest.split(":", 1)[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def tar_directory(source: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w") as tar:
        for path in sorted(source.rglob("*")):
            tar.add(path, arcname=path.relative_to(source).as_posix(), recursive=False)
    return archive


def write_docker_archive(path: Path, image: Image, *, tag: str = "app:1.0") -> Path:
    """The legacy ``docker save`` shape: ``<n>/layer.tar`` and ``<hex>.json``."""
    config = image.config()
    config_name = sha256(config).split(":", 1)[1] + ".json"
    members: dict[str, bytes] = {config_name: config}
    layer_names = []
    for position, layer in enumerate(image.layers):
        name = f"layer{position}/layer.tar"
        members[name] = layer.blob
        layer_names.append(name)
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}]
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path
