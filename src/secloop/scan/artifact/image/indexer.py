"""The first pass over an image: stream every layer once, build the merged view.

Per layer, steps:
(1) open the blob through its source (the stream verifies the blob digest at its end);
(2) decompress, bounded by ``max_layer_bytes`` (decompression bombs), hashing the tar;
(3) apply each member to the view: names normalised, whiteouts applied, links
    recorded (see :mod:`.layers`); nothing but a few small files named in ``capture``
    is kept in memory;
(4) read to the end of the blob, then compare the tar's hash with the config's diff id:
    a mismatch fails the image closed (DigestMismatchError), as a blob digest does;
(5) a layer that cannot be decoded (truncated, corrupt, over a limit) keeps what was
    read before the fault, is reported in the coverage manifest with its index and
    diff id, and the next layer is indexed: the rest of the image is still scanned.
"""

from __future__ import annotations

import tarfile
from collections.abc import Collection
from dataclasses import dataclass, field

from secloop.core.location import LayerRef
from secloop.core.result import SkipReason
from secloop.scan.artifact.image.interface import (
    DigestMismatchError,
    ImageLimitError,
    ImageLimits,
    ImageSource,
    LayerBlob,
    ResolvedImage,
)
from secloop.scan.artifact.image.layers import Kind, MergedView, location_key, normalise_name
from secloop.scan.artifact.image.tarstream import CORRUPT_ERRORS, LayerStream, open_layer

__all__ = ["CAPTURE_BYTES", "IndexedImage", "index_image", "layer_display"]

CAPTURE_BYTES = 64 * 1024
_WHITEOUT = ".wh."
_MAX_DEPTH = 256


@dataclass(slots=True)
class IndexedImage:
    view: MergedView
    captured: dict[int, bytes] = field(default_factory=dict)
    failed_layers: dict[int, str] = field(default_factory=dict)


def layer_display(layer: LayerBlob) -> str:
    return f"layer {layer.index} ({layer.diff_id})"


def layer_refs(image: ResolvedImage) -> tuple[LayerRef, ...]:
    return tuple(
        LayerRef(diff_id=layer.diff_id, index=layer.index, created_by=layer.created_by)
        for layer in image.layers
    )


def _hardlink(view: MergedView, parts: tuple[str, ...], member: tarfile.TarInfo, layer: int) -> str:
    target = normalise_name(member.linkname, _MAX_DEPTH)
    if isinstance(target, str):
        return f"hard link target {member.linkname!r}: {target}"
    if not target:
        return "hard link without a target"
    return view.add_hardlink(parts, target, layer)


def _apply_member(
    indexed: IndexedImage,
    stream: LayerStream,
    member: tarfile.TarInfo,
    layer: LayerBlob,
    capture: Collection[str],
) -> None:
    view, index = indexed.view, layer.index
    parts = normalise_name(member.name, _MAX_DEPTH)
    if isinstance(parts, str):
        detail = f"unsafe tar path in {layer_display(layer)}: {parts}; not indexed"
        view.report(member.name, SkipReason.UNSAFE_PATH, detail)
        return
    if not parts:
        return
    problem = ""
    if parts[-1].startswith(_WHITEOUT):
        problem = view.apply_whiteout(parts, index)
    elif member.isdir():
        view.add_dir(parts, index)
    elif member.issym():
        view.add_symlink(parts, member.linkname, index, member.offset_data)
    elif member.islnk():
        problem = _hardlink(view, parts, member, index)
    elif member.isreg() and not member.issparse():
        view.add_entry(parts, Kind.FILE, index, member.offset_data, member.size)
        path = "/".join(parts)
        if path in capture and member.size <= CAPTURE_BYTES:
            handle = stream.tar.extractfile(member) if stream.tar else None
            if handle is not None:
                indexed.captured[location_key(index, member.offset_data)] = handle.read()
    else:
        view.add_entry(parts, Kind.SPECIAL, index, member.offset_data, 0)
    if problem:
        view.report(member.name, SkipReason.UNRESOLVED_LINK, f"{layer_display(layer)}: {problem}")


def _index_layer(
    indexed: IndexedImage,
    source: ImageSource,
    layer: LayerBlob,
    limits: ImageLimits,
    capture: Collection[str],
) -> None:
    what = f"{source.target.name} {layer_display(layer)}"
    with open_layer(source, layer, limit=limits.max_layer_bytes, what=what) as stream:  # (1)(2)
        for member in stream.members():
            _apply_member(indexed, stream, member, layer, capture)  # (3)
        diff_id = stream.drain()  # (4)
    if diff_id != layer.diff_id:
        raise DigestMismatchError(
            f"{what}: the layer's content hashes to {diff_id}, the config says {layer.diff_id}"
        )


def index_image(
    source: ImageSource,
    image: ResolvedImage,
    *,
    limits: ImageLimits,
    capture: Collection[str] = (),
) -> IndexedImage:
    """Index every layer of ``image`` (steps 1-5)."""
    if len(image.layers) > limits.max_layers:
        raise ImageLimitError(f"{source.target.name}: more than {limits.max_layers} layers")
    indexed = IndexedImage(
        view=MergedView(
            layer_refs(image),
            max_entries=limits.max_entries,
            max_hops=limits.max_link_hops,
            max_deleted=limits.max_deleted_files,
        )
    )
    for layer in image.layers:
        try:
            _index_layer(indexed, source, layer, limits, capture)
        except CORRUPT_ERRORS as err:  # (5)
            reason = (
                SkipReason.LIMIT_REACHED if isinstance(err, ImageLimitError) else SkipReason.CORRUPT
            )
            detail = f"layer not fully read ({type(err).__name__}: {err}); the rest is not scanned"
            indexed.failed_layers[layer.index] = detail
            indexed.view.report(layer_display(layer), reason, detail)
    overflow = indexed.view.deleted_overflow
    if overflow:
        detail = (
            f"{overflow} more files deleted or replaced by later layers than the limit of "
            f"{limits.max_deleted_files}: not scanned for secrets"
        )
        indexed.view.report("(deleted files)", SkipReason.LIMIT_REACHED, detail)
    return indexed
