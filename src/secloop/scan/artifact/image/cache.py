"""A local blob cache keyed by digest: ``<root>/blobs/<alg>/<hex>``.

Steps that keep the cache trustworthy and contained:
(1) a digest is shape-checked (:func:`parse_digest`) before it becomes a file name, so
    no name can leave the cache directory;
(2) a blob is written to a temporary file in the same directory, hashed while it is
    written, and bounded by its descriptor's size;
(3) only a blob whose size and digest match is renamed into place (atomic); anything
    else is deleted and the download fails;
(4) reads of cached blobs are verified again as they stream (the source wraps them),
    so a cache file changed on disk is caught, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from secloop.scan.artifact.image.digest import parse_digest
from secloop.scan.artifact.image.interface import DigestMismatchError, ImageError

__all__ = ["BlobCache", "default_cache_dir"]


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$SECLOOP_CACHE_DIR``, else ``$XDG_CACHE_HOME/secloop``, else ``~/.cache/secloop``."""
    env = os.environ if environ is None else environ
    if env.get("SECLOOP_CACHE_DIR"):
        return Path(env["SECLOOP_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "secloop"


class BlobCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        algorithm, _, hexdigest = parse_digest(digest, what="blob cache").partition(":")  # (1)
        return self.root / "blobs" / algorithm / hexdigest

    def get(self, digest: str) -> Path | None:
        path = self.path_for(digest)
        return path if path.is_file() and not path.is_symlink() else None

    def store(self, digest: str, size: int | None, chunks: Iterable[bytes], what: str) -> Path:
        """Write ``chunks`` as the blob ``digest`` (steps 2-3); its path in the cache."""
        final = self.path_for(digest)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
                dir=final.parent, prefix=".partial-", delete=False
            )
        except OSError as err:
            raise ImageError(f"blob cache {self.root}: cannot write ({err.strerror})") from None
        temp = Path(handle.name)
        try:
            self._write(handle, digest, size, chunks, what)
            temp.replace(final)  # (3)
        finally:
            handle.close()
            temp.unlink(missing_ok=True)
        return final

    @staticmethod
    def _write(
        handle: tempfile._TemporaryFileWrapper[bytes],
        digest: str,
        size: int | None,
        chunks: Iterable[bytes],
        what: str,
    ) -> None:
        algorithm = digest.split(":", 1)[0]
        hasher = hashlib.sha512() if algorithm == "sha512" else hashlib.sha256()
        count = 0
        for chunk in chunks:  # (2)
            count += len(chunk)
            if size is not None and count > size:
                raise DigestMismatchError(f"{what}: longer than its {size} byte size")
            hasher.update(chunk)
            handle.write(chunk)
        handle.flush()
        actual = f"{algorithm}:{hasher.hexdigest()}"
        if size is not None and count != size:
            raise DigestMismatchError(f"{what}: {count} bytes, the descriptor says {size}")
        if actual != digest:
            raise DigestMismatchError(f"{what}: digest is {actual}, expected {digest}")
