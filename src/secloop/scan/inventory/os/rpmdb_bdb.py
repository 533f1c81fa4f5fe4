"""rpm's Berkeley DB package store (``/var/lib/rpm/Packages``: RHEL and CentOS up to
8, Amazon Linux 2, older SUSE), read from bytes without Berkeley DB or rpm.

``Packages`` is a Berkeley DB hash database (libdb src/dbinc/db_page.h): fixed-size
pages, page 0 the hash metadata page. Keys are package numbers (4 bytes, the byte order
of the machine that wrote the file; key 0 holds rpm's next-number counter), values
are rpm header blobs, the same structure as in the SQLite store. A value too large to
sit on a hash page (nearly all headers) is an off-page item pointing to a chain of
overflow pages.

Steps (bdb_blobs), each failing closed with the page named:
(1) the metadata page has the hash magic (0x061561) in little- or big-endian order,
    which then holds for every integer of the file; the page size is a power of two
    from 512 to 64 KiB; encrypted databases are refused;
(2) only hash pages (sorted, or unsorted as in RHEL 5) are read; their item offsets
    must fall inside the page and come in key/value pairs;
(3) an inline value is taken as it is; an off-page value follows its overflow chain
    page by page, each page inside the file, of the overflow type, never visited twice,
    and the pieces must add up to the length the item declares.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from secloop.scan.interface import ScanError

__all__ = ["bdb_blobs", "is_bdb_hash"]

_HASH_MAGIC = 0x061561
_PAGE_HEADER = 26  # lsn 8, pgno 4, prev 4, next 4, entries 2, hf_offset 2, level 1, type 1
_P_HASH_UNSORTED, _P_OVERFLOW, _P_HASHMETA, _P_HASH = 2, 7, 8, 13
_H_KEYDATA, _H_OFFPAGE = 1, 3
_PAGE_SIZES = frozenset(1 << n for n in range(9, 17))


def _order(data: bytes) -> str | None:
    if len(data) < 512:
        return None
    for order in ("<", ">"):
        if struct.unpack_from(order + "I", data, 12)[0] == _HASH_MAGIC:
            return order
    return None


def is_bdb_hash(data: bytes) -> bool:
    return _order(data) is not None


class _Reader:
    def __init__(self, data: bytes, path: str) -> None:
        order = _order(data)
        if order is None:  # (1)
            raise ScanError(f"{path}: not a Berkeley DB hash database (no hash magic)")
        self.data, self.path, self.order = data, path, order
        self.page_size: int = struct.unpack_from(order + "I", data, 20)[0]
        if self.page_size not in _PAGE_SIZES:
            raise ScanError(f"{path}: Berkeley DB page size {self.page_size} is not valid")
        if data[24] != 0:
            raise ScanError(f"{path}: the Berkeley DB database is encrypted")
        if data[25] != _P_HASHMETA:
            raise ScanError(f"{path}: page 0 is not a hash metadata page")
        last = self._u32(0, 32)
        self.pages = min(last + 1, len(data) // self.page_size)

    def _u32(self, page: int, offset: int) -> int:
        value: int = struct.unpack_from(
            self.order + "I", self.data, page * self.page_size + offset
        )[0]
        return value

    def _u16(self, page: int, offset: int) -> int:
        value: int = struct.unpack_from(
            self.order + "H", self.data, page * self.page_size + offset
        )[0]
        return value

    def page_type(self, page: int) -> int:
        return self.data[page * self.page_size + 25]

    def items(self, page: int) -> list[tuple[int, int]]:
        """(offset, length) of each item on a hash page, offsets relative to the page."""
        count = self._u16(page, 20)
        if count % 2 or _PAGE_HEADER + 2 * count > self.page_size:  # (2)
            raise ScanError(f"{self.path}: hash page {page} has {count} items, not pairs")
        items, end = [], self.page_size
        for position in range(count):
            offset = self._u16(page, _PAGE_HEADER + 2 * position)
            if not _PAGE_HEADER + 2 * count <= offset < end:
                raise ScanError(f"{self.path}: hash page {page} item {position} is out of place")
            items.append((offset, end - offset))
            end = offset
        return items

    def item(self, page: int, offset: int, length: int) -> bytes:
        start = page * self.page_size + offset
        return self.data[start : start + length]

    def overflow(self, first: int, total: int, origin: str) -> bytes:
        pieces, size, seen, page = [], 0, set(), first  # (3)
        while page != 0:
            if page >= self.pages or page in seen or self.page_type(page) != _P_OVERFLOW:
                raise ScanError(f"{self.path}: {origin}: broken overflow chain at page {page}")
            seen.add(page)
            used = self._u16(page, 22)  # hf_offset: the bytes this overflow page holds
            if used > self.page_size - _PAGE_HEADER or size + used > total:
                raise ScanError(f"{self.path}: {origin}: overflow page {page} overruns")
            pieces.append(self.item(page, _PAGE_HEADER, used))
            size += used
            page = self._u32(page, 16)
        if size != total:
            raise ScanError(f"{self.path}: {origin}: {size} of {total} bytes in its chain")
        return b"".join(pieces)

    def value(self, page: int, offset: int, length: int) -> bytes | None:
        raw = self.item(page, offset, length)
        if raw[0] == _H_KEYDATA:
            return raw[1:]
        if raw[0] == _H_OFFPAGE and len(raw) >= 12:
            first, total = struct.unpack_from(self.order + "II", raw, 4)
            return self.overflow(first, total, f"hash page {page}")
        return None  # duplicates (H_DUPLICATE, H_OFFDUP): rpm never writes them here


def bdb_blobs(data: bytes, path: str) -> Iterator[tuple[int, bytes]]:
    """(package number, header blob) of every package in ``data`` (steps 1-3)."""
    reader = _Reader(data, path)
    for page in range(1, reader.pages):
        if reader.page_type(page) not in (_P_HASH, _P_HASH_UNSORTED):
            continue
        items = reader.items(page)
        for (key_offset, key_length), (value_offset, value_length) in zip(
            items[0::2], items[1::2], strict=True
        ):
            key = reader.item(page, key_offset, key_length)
            if key[0] != _H_KEYDATA or len(key) != 5:
                raise ScanError(f"{path}: hash page {page} has a key that is not a package number")
            number = struct.unpack(reader.order + "I", key[1:])[0]
            if number == 0:
                continue  # rpm's counter of the next package number, not a package
            blob = reader.value(page, value_offset, value_length)
            if blob is None:
                raise ScanError(
                    f"{path}: hash page {page}: package {number} has an unknown item type"
                )
            yield number, blob
