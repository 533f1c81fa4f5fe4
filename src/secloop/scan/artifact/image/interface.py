"""The image source plugin family: where an image's manifest, config and layers come from.

::

    ImageSource (docker save archive | OCI layout | registry)
        .resolve()          -> ResolvedImage: the chosen manifest, its parsed config,
                               one LayerBlob per layer (descriptor, diff id, history)
        .open_blob(layer)   -> the layer's raw (compressed) bytes as a bounded stream,
                               verified against its digest when the stream ends

Errors::

    ArtifactError (secloop.scan.interface)   the target cannot be opened
    └── ImageError                           a manifest, config or blob is unusable
        ├── DigestMismatchError              content is not what its digest names:
        │                                    fail closed, never scanned
        ├── ImageLimitError                  a size or count limit was reached
        └── RegistryError                    the registry refused or failed
            ├── RegistryAuthError            401/403 after every credential was tried
            └── CredentialHelperError        a docker-credential-* helper is missing,
                                             failed or answered nonsense
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from io import BufferedReader

from secloop.core.target import Target
from secloop.scan.interface import ArtifactError

__all__ = [
    "MIB",
    "CredentialHelperError",
    "Descriptor",
    "DigestMismatchError",
    "HistoryEntry",
    "ImageConfig",
    "ImageError",
    "ImageLimitError",
    "ImageLimits",
    "ImageOrigin",
    "ImageSource",
    "LayerBlob",
    "Platform",
    "RegistryAuthError",
    "RegistryError",
    "ResolvedImage",
]

MIB = 1024 * 1024
GIB = 1024 * MIB


class ImageError(ArtifactError):
    """An image's manifest, config or blob cannot be used."""


class DigestMismatchError(ImageError):
    """A blob's bytes do not hash to the digest (or size) that names them."""


class ImageLimitError(ImageError):
    """A size or count limit was reached while reading an image."""


class RegistryError(ImageError):
    """The registry answered with an error, or could not be reached."""


class RegistryAuthError(RegistryError):
    """The registry refused every credential secloop could offer."""


class CredentialHelperError(RegistryError):
    """A Docker credential helper named by the configuration could not give an answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageLimits:
    """Bounds on what is read from an image, units in the names."""

    max_manifest_bytes: int = 4 * MIB
    max_config_bytes: int = 8 * MIB
    max_blob_bytes: int = 8 * GIB  # one compressed layer
    max_layer_bytes: int = 32 * GIB  # one decompressed layer (decompression bombs)
    max_layers: int = 512
    max_entries: int = 4_000_000  # tar entries across the whole image
    max_link_hops: int = 40  # as Linux's MAXSYMLINKS
    max_index_depth: int = 4  # nested image indexes
    #: Files a later layer deleted or replaced, remembered for the secrets scan of
    #: lower layers; past it the rest is reported as not scanned.
    max_deleted_files: int = 50_000


@dataclass(frozen=True, slots=True)
class Platform:
    """``os/architecture[/variant]``, as in OCI image-index ``platform``."""

    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ImageError(f"platform {text!r}: expected os/arch or os/arch/variant")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True, slots=True, kw_only=True)
class Descriptor:
    """A content reference (OCI descriptor.md); ``digest`` None only for legacy
    ``docker save`` layers, which are checked against their diff id instead."""

    media_type: str
    digest: str | None
    size: int | None
    platform: Platform | None = None
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    created_by: str | None
    empty_layer: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageConfig:
    """The parts of the image configuration that scanning and reporting use."""

    os: str | None
    architecture: str | None
    diff_ids: tuple[str, ...]
    history: tuple[HistoryEntry, ...] = ()
    user: str | None = None
    env: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    exposed_ports: tuple[str, ...] = ()  # "22/tcp", as in config.ExposedPorts
    #: ``Healthcheck.Test`` (``("CMD", "curl", ...)``); None when the config has none.
    healthcheck: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageOrigin:
    """How the image was obtained, for checks of the pull itself: the reference the
    user gave (registry images only), whether it named a digest, and whether the
    registry was reached over plain HTTP."""

    reference: str | None = None
    pinned_by_digest: bool = False
    plain_http: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerBlob:
    """One layer: where its bytes are (descriptor), what they must decompress to
    (diff id) and the history command that created it."""

    index: int
    descriptor: Descriptor
    diff_id: str
    created_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedImage:
    manifest_digest: str | None
    config_digest: str | None
    config: ImageConfig
    layers: tuple[LayerBlob, ...] = field(default_factory=tuple)


class ImageSource(ABC):
    """Where an image comes from. Stateless apart from open handles and tokens."""

    @property
    @abstractmethod
    def target(self) -> Target: ...

    @abstractmethod
    def resolve(self) -> ResolvedImage:
        """The image, with manifest and config already verified against their digests."""

    @abstractmethod
    def open_blob(self, layer: LayerBlob) -> BufferedReader:
        """The layer's raw bytes; a stream that raises DigestMismatchError at its end
        when they are not what ``layer.descriptor`` names."""

    @property
    def origin(self) -> ImageOrigin:
        """Local sources have no pull to check; the registry source overrides this."""
        return ImageOrigin()

    def close(self) -> None:  # noqa: B027 - sources without handles need nothing
        """Release open archives and connections."""
