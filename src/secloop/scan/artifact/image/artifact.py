"""An image as an Artifact: the merged view walked layer by layer, read lazily.

The walk is the second pass over the layers: each layer's tar is streamed again in
order, and a member is yielded when it is what the merged view holds at its path (a
file a later layer replaced or whited out is not). The engine reads a file right
after the walk yields it, so that read is served from the member being streamed; any
other read reopens the layer and reads forward to the file. ``FileEntry.layer`` is the
layer that last wrote the path, with its history command.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pathspec

from secloop.core.location import LayerRef
from secloop.core.result import Skipped, SkipReason
from secloop.core.target import Target
from secloop.scan.artifact.fs import file_limit
from secloop.scan.artifact.image.indexer import IndexedImage, index_image, layer_display
from secloop.scan.artifact.image.interface import (
    ImageConfig,
    ImageLimits,
    ImageOrigin,
    ImageSource,
    LayerBlob,
    ResolvedImage,
)
from secloop.scan.artifact.image.layers import Kind, location_key, normalise_name
from secloop.scan.artifact.image.tarstream import CORRUPT_ERRORS, LayerStream, open_layer
from secloop.scan.interface import Artifact, FileEntry, ScanError, ScanLimits

__all__ = ["CAPTURED_PATHS", "DeletedFile", "ImageArtifact"]

#: Small files kept from the first pass, so OS detection needs no extra layer read.
CAPTURED_PATHS = frozenset({"etc/os-release", "usr/lib/os-release"})
_MAX_DEPTH = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletedFile:
    """A regular file a later layer deleted or replaced: absent from the merged view,
    still readable by anyone who pulls the image. ``entry.layer`` added it."""

    entry: FileEntry
    deleted_in: LayerRef
    offset: int  # of its bytes in the decompressed tar of ``entry.layer``


class ImageArtifact(Artifact):
    """The merged file view of one image from ``source``."""

    def __init__(
        self,
        source: ImageSource,
        *,
        limits: ScanLimits,
        image_limits: ImageLimits | None = None,
        excludes: Sequence[str] = (),
    ) -> None:
        self._source = source
        self._excludes = pathspec.GitIgnoreSpec.from_lines(excludes) if excludes else None
        self._limits = limits
        self._image_limits = image_limits or ImageLimits()
        try:
            self.image: ResolvedImage = source.resolve()
            self._indexed: IndexedImage = index_image(
                source, self.image, limits=self._image_limits, capture=CAPTURED_PATHS
            )
        except BaseException:
            source.close()
            raise
        self._view = self._indexed.view
        self._files_seen = 0
        self._current: tuple[int, LayerStream, tarfile.TarInfo] | None = None
        self._current_bytes: tuple[int, bytes] | None = None
        self._claimed: Callable[[str], int | None] | None = None

    @property
    def target(self) -> Target:
        return self._source.target

    @property
    def layers(self) -> tuple[LayerRef, ...]:
        return self._view.layers

    @property
    def config(self) -> ImageConfig:
        """The parsed image configuration (user, env, labels, history, ports)."""
        return self.image.config

    @property
    def origin(self) -> ImageOrigin:
        return self._source.origin

    def admit_claimed(self, limit_for: Callable[[str], int | None]) -> None:
        self._claimed = limit_for

    def __enter__(self) -> ImageArtifact:
        return self

    def close(self) -> None:
        self._source.close()

    # -- walk -------------------------------------------------------------------------

    def walk(self) -> Iterator[FileEntry | Skipped]:
        yield from self._view.problems
        for layer in self.image.layers:
            yield from self._walk_layer(layer)

    def _walk_layer(self, layer: LayerBlob) -> Iterator[FileEntry | Skipped]:
        what = f"{self.target.name} {layer_display(layer)}"
        limit = self._image_limits.max_layer_bytes
        try:
            with open_layer(self._source, layer, limit=limit, what=what) as stream:
                for member in stream.members():
                    key = location_key(layer.index, member.offset_data)
                    self._current = (key, stream, member)
                    self._current_bytes = None
                    yield from self._outcomes(member.name, layer.index, member.offset_data)
        except CORRUPT_ERRORS:
            if layer.index not in self._indexed.failed_layers:  # pragma: no cover - changed
                raise ScanError(f"{what}: changed between two reads") from None
        finally:
            self._current = None
            self._current_bytes = None

    def _outcomes(self, name: str, layer: int, offset: int) -> Iterator[FileEntry | Skipped]:
        parts = normalise_name(name, _MAX_DEPTH)
        paths = [] if isinstance(parts, str) or not parts else ["/".join(parts)]
        paths += self._view.aliases.get(location_key(layer, offset), [])
        for path in dict.fromkeys(paths):
            record = self._view.record_at(path)
            if record is None or self._view.data_layer[record] != layer:
                continue
            if self._view.data_offset[record] != offset:
                continue
            yield self._outcome(path, record)

    def _outcome(self, path: str, record: int) -> FileEntry | Skipped:
        if self._excludes is not None and self._excludes.match_file(path):
            return Skipped(path=path, reason=SkipReason.IGNORED, detail="matches the exclude list")
        view = self._view
        kind = view.kind[record]
        if kind == Kind.SYMLINK:
            return self._symlink_outcome(path, record)
        if kind == Kind.SPECIAL:
            return Skipped(
                path=path,
                reason=SkipReason.SPECIAL_FILE,
                detail="not a regular file (device, fifo or sparse file)",
            )
        size = view.size[record]
        if size > self._limits.max_file_bytes:
            limit = file_limit(self._limits, self._claimed, path)
            if size > limit.max_bytes:
                return Skipped(path=path, reason=SkipReason.TOO_LARGE, detail=limit.too_large(size))
        self._files_seen += 1
        if self._files_seen > self._limits.max_files:
            detail = f"more than {self._limits.max_files} files"
            return Skipped(path=path, reason=SkipReason.LIMIT_REACHED, detail=detail)
        return FileEntry(path=path, size=size, layer=view.layers[view.written_by[record]])

    def _symlink_outcome(self, path: str, record: int) -> Skipped:
        target = self._view.link_target[record]
        where = self._view.resolve(path)
        if where.loop:
            detail = f"points to {target}: too many levels of links"
            return Skipped(path=path, reason=SkipReason.BROKEN_SYMLINK, detail=detail)
        if where.missing:
            detail = f"points to missing {target}"
            return Skipped(path=path, reason=SkipReason.BROKEN_SYMLINK, detail=detail)
        inside = where.path or "."
        return Skipped(
            path=path,
            reason=SkipReason.SYMLINK,
            detail=f"link to {inside} inside the image, scanned at that path",
        )

    # -- reads ------------------------------------------------------------------------

    def resolve_path(self, path: str) -> str | None:
        """``path`` with symlinks followed inside the image; None when it leads nowhere
        or to something other than a regular file."""
        where = self._view.resolve(path)
        if where.record is None or self._view.kind[where.record] != Kind.FILE:
            return None
        return where.path

    def read(self, entry: FileEntry) -> bytes:
        view = self._view
        record = view.record_at(entry.path)
        if record is None or view.kind[record] != Kind.FILE:
            raise ScanError(f"{entry.path}: not a regular file in the image")
        size = view.size[record]
        limit = file_limit(self._limits, self._claimed, entry.path).max_bytes
        if size > limit:
            raise ScanError(f"{entry.path}: larger than the {limit} byte limit")
        key = location_key(view.data_layer[record], view.data_offset[record])
        captured = self._indexed.captured.get(key)
        if captured is not None:
            return captured
        if self._current_bytes is not None and self._current_bytes[0] == key:
            return self._current_bytes[1]
        current = self._current is not None and self._current[0] == key
        data = self._read_current(entry.path, size) if current else None
        if data is None:
            layer, offset = view.data_layer[record], view.data_offset[record]
            data = self._read_at(entry.path, layer, offset, size)
        self._current_bytes = (key, data)
        return data

    def _read_current(self, path: str, size: int) -> bytes | None:
        if self._current is None:  # pragma: no cover - checked by the caller
            return None
        _, stream, member = self._current
        handle = stream.tar.extractfile(member) if stream.tar else None
        if handle is None:
            return None
        try:
            # the member's size, already checked against the limit: a read sized to
            # the limit would allocate that much for every small file
            return handle.read(size + 1)
        except CORRUPT_ERRORS as err:
            raise ScanError(f"{path}: cannot read ({err})") from None

    def _read_at(self, path: str, layer_index: int, offset: int, size: int) -> bytes:
        layer = self.image.layers[layer_index]
        what = f"{self.target.name} {layer_display(layer)}"
        limit = self._image_limits.max_layer_bytes
        try:
            with open_layer(self._source, layer, limit=limit, what=what, tar=False) as stream:
                return stream.read_at(offset, size)
        except CORRUPT_ERRORS as err:
            raise ScanError(f"{path}: cannot read from {what} ({err})") from None

    # -- deleted files ----------------------------------------------------------------

    def deleted_files(self) -> list[DeletedFile]:
        """Files hidden by a later layer, by layer and position, so that one forward
        read of each layer serves them all (:meth:`read_deleted`)."""
        view = self._view
        found = [
            DeletedFile(
                entry=FileEntry(
                    path=path, size=view.size[record], layer=view.layers[view.data_layer[record]]
                ),
                deleted_in=view.layers[hidden_by],
                offset=view.data_offset[record],
            )
            for record, (path, hidden_by) in view.deleted.items()
        ]
        found.sort(key=lambda d: (d.entry.layer.index if d.entry.layer else 0, d.offset))
        return found

    def read_deleted(
        self, files: Sequence[DeletedFile]
    ) -> Iterator[tuple[DeletedFile, bytes | str]]:
        """Each file's bytes, or why they could not be read. ``files`` must be in the
        order :meth:`deleted_files` gives; files over ``max_file_bytes`` are refused."""
        by_layer: dict[int, list[DeletedFile]] = {}
        for item in files:
            if item.entry.layer is not None:
                by_layer.setdefault(item.entry.layer.index, []).append(item)
        for index, items in by_layer.items():
            yield from self._read_layer_files(index, items)

    def _read_layer_files(
        self, index: int, items: list[DeletedFile]
    ) -> Iterator[tuple[DeletedFile, bytes | str]]:
        layer = self.image.layers[index]
        what = f"{self.target.name} {layer_display(layer)}"
        limit = self._image_limits.max_layer_bytes
        done = 0
        try:
            with open_layer(self._source, layer, limit=limit, what=what, tar=False) as stream:
                for item in items:
                    size = item.entry.size
                    if size > self._limits.max_file_bytes:
                        reason = f"{size} bytes, limit {self._limits.max_file_bytes}"
                        done += 1
                        yield item, reason
                        continue
                    data = stream.read_at(item.offset, size)
                    done += 1
                    yield item, data
        except CORRUPT_ERRORS as err:
            yield from ((rest, f"cannot read from {what} ({err})") for rest in items[done:])
