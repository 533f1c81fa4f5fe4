"""Content digests and streams that verify them.

A digest string names a blob (``sha256:<64 hex>``); it is also the blob's file name
in OCI layouts and in the blob cache, so it is validated before it is ever used to
build a path: only the algorithm names and lower-case hex lengths below are accepted.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import BinaryIO

from secloop.scan.artifact.image.interface import (
    DigestMismatchError,
    ImageError,
    ImageLimitError,
)

__all__ = [
    "BoundedReader",
    "VerifyingReader",
    "bounded_stream",
    "compute_digest",
    "parse_digest",
    "verified_stream",
]

_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


def parse_digest(value: object, *, what: str) -> str:
    """``value`` as a digest string; ImageError when it is anything else (fail closed)."""
    if not isinstance(value, str) or not _DIGEST.match(value):
        raise ImageError(f"{what}: {value!r} is not a sha256 or sha512 digest")
    return value


def _hasher(digest: str) -> hashlib._Hash:
    algorithm = digest.split(":", 1)[0]
    return hashlib.sha512() if algorithm == "sha512" else hashlib.sha256()


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    hasher = hashlib.sha512() if algorithm == "sha512" else hashlib.sha256()
    hasher.update(data)
    return f"{algorithm}:{hasher.hexdigest()}"


class BoundedReader(io.RawIOBase):
    """Passes reads through and raises ImageError once more than ``limit`` bytes came.

    Guards every decompressed stream against decompression bombs: the limit is on
    what comes out, whatever the compressed size was.
    """

    def __init__(self, inner: BinaryIO, limit: int, what: str) -> None:
        super().__init__()
        self._inner = inner
        self._limit = limit
        self._what = what
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self.count += len(data)
        if self.count > self._limit:
            raise ImageLimitError(f"{self._what}: more than {self._limit} bytes")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


class VerifyingReader(io.RawIOBase):
    """Hashes what passes through; at end of stream checks size and digest.

    Steps (OCI image-spec descriptor.md, "Digests" and "Size"):
    (1) never yield more than ``expected_size`` bytes: a longer blob is rejected at
        the first byte past the size, before it can be used;
    (2) at end of stream, the byte count must equal ``expected_size``;
    (3) and the digest of every byte read must equal ``digest``.
    A mismatch raises DigestMismatchError, which fails the image closed.
    """

    def __init__(
        self, inner: BinaryIO, *, digest: str, expected_size: int | None, what: str
    ) -> None:
        super().__init__()
        self._inner = inner
        self._digest = digest
        self._size = expected_size
        self._hasher = _hasher(digest)
        self._what = what
        self._count = 0
        self.verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self._count += len(data)
        if self._size is not None and self._count > self._size:  # (1)
            raise DigestMismatchError(f"{self._what}: longer than its {self._size} byte size")
        if not data:
            self._finish()
            return 0
        self._hasher.update(data)
        buffer[: len(data)] = data
        return len(data)

    def _finish(self) -> None:
        if self.verified:
            return
        if self._size is not None and self._count != self._size:  # (2)
            raise DigestMismatchError(
                f"{self._what}: {self._count} bytes, the descriptor says {self._size}"
            )
        algorithm = self._digest.split(":", 1)[0]
        actual = f"{algorithm}:{self._hasher.hexdigest()}"
        if actual != self._digest:  # (3)
            raise DigestMismatchError(f"{self._what}: digest is {actual}, expected {self._digest}")
        self.verified = True

    def close(self) -> None:
        self._inner.close()
        super().close()


def verified_stream(
    raw: BinaryIO, *, digest: str, expected_size: int | None, what: str
) -> io.BufferedReader:
    """``raw`` behind a buffered VerifyingReader: reading it to the end verifies it."""
    reader = VerifyingReader(raw, digest=digest, expected_size=expected_size, what=what)
    return io.BufferedReader(reader, buffer_size=1024 * 1024)


def bounded_stream(raw: BinaryIO, *, limit: int, what: str) -> io.BufferedReader:
    return io.BufferedReader(BoundedReader(raw, limit, what), buffer_size=1024 * 1024)
