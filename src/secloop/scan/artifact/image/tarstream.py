"""Streaming a layer blob as tar members: decompress, bound, hash, never seek.

A layer is read front to back, twice at most (index, then walk), whatever its
compression. The decompressed stream is bounded (decompression bombs) and hashed, so
the first pass can check the layer's diff id; the blob stream underneath checks the
compressed digest when it reaches its end.

Compression is recognised by its magic bytes, not the descriptor's media type (docker
save archives carry none): gzip (``tar+gzip``), zstd (``tar+zstd``, with the optional
``zstandard`` package of the ``image`` extra) or none (``tar``). A zstd stream may hold
several frames and skippable frames (``zstd:chunked`` layers): all are read. zstd does
not report a frame cut short; the diff id check after the first pass does.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from secloop.scan.artifact.image.interface import (
    MIB,
    ImageError,
    ImageLimitError,
    ImageSource,
    LayerBlob,
)

__all__ = ["CORRUPT_ERRORS", "LayerStream", "open_layer"]

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CHUNK = 1024 * 1024
#: The largest zstd window a layer may ask for: the decoder allocates it up front, so a
#: hostile frame header cannot make it reserve gigabytes. 128 MiB is zstd's own default
#: limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27); ``zstd --long`` layers stay below it.
_ZSTD_MAX_WINDOW = 128 * MIB


def _zstandard() -> ModuleType | None:
    """The optional ``zstandard`` module (extra ``image``), None when not installed."""
    try:
        return importlib.import_module("zstandard")
    except ImportError:  # pragma: no cover - the image extra is installed wherever tests run
        return None


_ZSTD_MODULE = _zstandard()
_ZSTD_ERRORS: tuple[type[Exception], ...] = (
    () if _ZSTD_MODULE is None else (_ZSTD_MODULE.ZstdError,)
)

#: What a truncated or corrupt layer raises somewhere in the stack of readers.
CORRUPT_ERRORS: tuple[type[Exception], ...] = (
    tarfile.TarError,
    EOFError,
    zlib.error,
    gzip.BadGzipFile,
    ImageLimitError,
    *_ZSTD_ERRORS,
)


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _TarBytes(io.RawIOBase):
    """Decompressed bytes: counted against the layer limit and hashed for the diff id."""

    def __init__(self, inner: _Reader, limit: int, what: str) -> None:
        super().__init__()
        self._inner = inner
        self._limit = limit
        self._what = what
        self.count = 0
        self.hasher = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self.count += len(data)
        if self.count > self._limit:
            raise ImageLimitError(f"{self._what}: decompresses to more than {self._limit} bytes")
        self.hasher.update(data)
        buffer[: len(data)] = data
        return len(data)


@dataclass(slots=True)
class LayerStream:
    """An open layer: its tar reader and the counting stream below it."""

    tar: tarfile.TarFile | None
    raw: io.BufferedReader
    tar_bytes: _TarBytes
    buffered: io.BufferedReader[_TarBytes]
    position: int = 0  # in the decompressed bytes, for read_at (no tar reader)

    def members(self) -> Iterator[tarfile.TarInfo]:
        if self.tar is None:  # pragma: no cover - a programming error
            raise ValueError("opened without a tar reader")
        while (member := self.tar.next()) is not None:
            # tarfile keeps every TarInfo it reads; forget them to keep memory flat.
            self.tar.members = []  # type: ignore[attr-defined]
            yield member

    def drain(self) -> str:
        """Read to the end of the blob (which verifies its digest); the diff id."""
        while self.buffered.read(_CHUNK):
            pass
        while self.raw.read(_CHUNK):
            pass
        return f"sha256:{self.tar_bytes.hasher.hexdigest()}"

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` of the decompressed tar: forward only, by reading
        and dropping what comes before (compressed streams cannot seek)."""
        if offset < self.position:  # pragma: no cover - callers reopen instead
            raise ValueError("read_at cannot go back")
        while self.position < offset:
            got = self.buffered.read(min(offset - self.position, _CHUNK))
            if not got:
                raise EOFError("layer ended before the file")
            self.position += len(got)
        data = self.buffered.read(size)
        self.position += len(data)
        if len(data) != size:
            raise EOFError("layer ended inside the file")
        return data


def _decompressed(raw: io.BufferedReader, what: str) -> _Reader:
    head = raw.peek(4)[:4]
    if head.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head.startswith(_ZSTD_MAGIC):
        return _zstd_reader(raw, what)
    return raw


def _zstd_reader(raw: io.BufferedReader, what: str) -> _Reader:
    zstandard = _zstandard()
    if zstandard is None:
        raise ImageError(
            f"{what}: the layer is zstd-compressed, which needs the zstandard package "
            "(pip install 'secloop[image]')"
        )
    decompressor = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
    # read_across_frames: a layer may be several frames back to back (zstd:chunked).
    # The output is bounded by the caller's read size, so _TarBytes counts every byte.
    reader: _Reader = decompressor.stream_reader(raw, read_across_frames=True, closefd=False)
    return reader


@contextmanager
def open_layer(
    source: ImageSource, layer: LayerBlob, *, limit: int, what: str, tar: bool = True
) -> Iterator[LayerStream]:
    """The layer as a stream of tar members (``tar=False``: bytes only, for reads)."""
    raw = source.open_blob(layer)
    try:
        counted = _TarBytes(_decompressed(raw, what), limit, what)
        buffered = io.BufferedReader(counted, buffer_size=_CHUNK)
        # Closed with ``raw`` below: a stream-mode TarFile holds no handle of its own.
        reader = tarfile.open(fileobj=buffered, mode="r|") if tar else None  # noqa: SIM115
        yield LayerStream(tar=reader, raw=raw, tar_bytes=counted, buffered=buffered)
    finally:
        raw.close()
