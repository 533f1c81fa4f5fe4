"""rpm's NDB package store (``Packages.db``, rpm 4.15+, the default of SUSE), read
from bytes without rpm.

Layout (rpm lib/backend/ndb/rpmpkg.c; every integer 32-bit little-endian):

- a 32-byte header: magic ``RpmP``, version 0, generation, slot page count, next
  package index;
- slot pages of 4096 bytes right after, the first 32 bytes of page 0 being the header:
  16-byte slots ``Slot``, package index, block offset, block count; a slot with block
  offset 0 is free;
- blobs in 16-byte blocks after the slot pages: a head (``BlbS``, package index,
  generation, blob length), the blob (one rpm header, as in the SQLite store), zero
  padding and a tail (Adler-32 of head + blob + padding, blob length, ``BlbE``).

Steps (ndb_blobs), each checked as rpm checks it and failing closed with the slot named:
(1) header magic and version; slot pages within the file and the page limit;
(2) every slot has its magic; used slots point past the slot pages and inside the file;
(3) the blob head names the slot's package and a length that fills exactly the slot's
    block count;
(4) the tail repeats the length, has its magic and the Adler-32 matches.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from secloop.scan.interface import ScanError

__all__ = ["NDB_MAGIC", "ndb_blobs"]

NDB_MAGIC = b"RpmP"
_SLOT_MAGIC, _HEAD_MAGIC, _TAIL_MAGIC = b"Slot", b"BlbS", b"BlbE"
_PAGE, _SLOT, _BLOCK, _HEADER = 4096, 16, 16, 32
_HEAD, _TAIL = 16, 12
#: rpm grows the slot area a page at a time, 256 slots each; 2048 pages is half a
#: million packages, far past any real system, and bounds a hostile header.
_MAX_SLOT_PAGES = 2048


def _slots(data: bytes, path: str) -> Iterator[tuple[int, int, int, int]]:
    """(slot number, package index, block offset, block count) of every used slot."""
    if len(data) < _HEADER or data[:4] != NDB_MAGIC:  # (1)
        raise ScanError(f"{path}: not an rpm NDB database (no RpmP magic)")
    version, _, pages = struct.unpack_from("<III", data, 4)
    if version != 0:
        raise ScanError(f"{path}: NDB version {version}; only version 0 exists")
    if not 0 < pages <= _MAX_SLOT_PAGES or pages * _PAGE > len(data):
        raise ScanError(f"{path}: {pages} slot pages do not fit the {len(data)}-byte file")
    first_block, file_blocks = pages * _PAGE // _BLOCK, len(data) // _BLOCK
    for number in range(_HEADER // _SLOT, pages * _PAGE // _SLOT):
        magic, index, offset, count = struct.unpack_from("<4sIII", data, number * _SLOT)
        if magic != _SLOT_MAGIC:  # (2)
            raise ScanError(f"{path}: slot {number} has no Slot magic; corrupt database")
        if offset == 0:
            continue
        if index == 0 or count == 0 or offset < first_block or offset + count > file_blocks:
            raise ScanError(f"{path}: slot {number} (package {index}) points outside the blob area")
        yield number, index, offset, count


def _blob(data: bytes, path: str, slot: tuple[int, int, int, int]) -> bytes:
    number, index, offset, count = slot
    start, end = offset * _BLOCK, (offset + count) * _BLOCK
    what = f"{path}: slot {number} (package {index})"
    magic, owner, _, length = struct.unpack_from("<4sIII", data, start)
    if magic != _HEAD_MAGIC or owner != index:  # (3)
        raise ScanError(f"{what}: the blob head does not belong to this slot")
    if count != (_HEAD + length + _TAIL + _BLOCK - 1) // _BLOCK:
        raise ScanError(f"{what}: blob length {length} does not fill {count} blocks")
    checksum, tail_length, tail_magic = struct.unpack_from("<II4s", data, end - _TAIL)
    if tail_magic != _TAIL_MAGIC or tail_length != length:  # (4)
        raise ScanError(f"{what}: the blob tail is damaged")
    if zlib.adler32(data[start : end - _TAIL]) != checksum:
        raise ScanError(f"{what}: the blob's Adler-32 checksum does not match")
    return data[start + _HEAD : start + _HEAD + length]


def ndb_blobs(data: bytes, path: str) -> Iterator[tuple[int, bytes]]:
    """(package index, header blob) of every package in ``data`` (steps 1-4)."""
    for slot in _slots(data, path):
        yield slot[1], _blob(data, path, slot)
