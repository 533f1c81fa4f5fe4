"""Write rpm package databases in the NDB and Berkeley DB formats, for tests.

Debian's rpm reads Berkeley DB (``bdb_ro``) and SQLite but writes no NDB (built
without it) and no Berkeley DB. So Berkeley DB files are written by libdb's own
``db5.3_load`` (the integration tests check that rpm reads them), and NDB files by
:func:`ndb`, which follows the format's definition in rpm's lib/backend/ndb/rpmpkg.c
(rpmpkgWriteHeader, rpmpkgWriteEmptySlotpage, rpmpkgWriteslot, rpmpkgWriteBlob).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections.abc import Mapping
from pathlib import Path

import pytest

PAGE, SLOT, BLOCK = 4096, 16, 16


def ndb(headers: Mapping[int, bytes]) -> bytes:
    """A ``Packages.db`` holding ``headers`` by package index, one slot each."""
    slots_per_page = PAGE // SLOT
    pages = 1 + (len(headers) + 2) // slots_per_page  # the header takes two slots
    slot_area = bytearray(b"Slot" + bytes(12)) * (pages * slots_per_page)
    blobs = bytearray()
    block = pages * PAGE // BLOCK
    for number, (index, blob) in enumerate(sorted(headers.items()), start=2):
        count = (16 + len(blob) + 12 + BLOCK - 1) // BLOCK
        head = struct.pack("<4sIII", b"BlbS", index, 1, len(blob))
        padding = bytes(count * BLOCK - 16 - len(blob) - 12)
        body = head + blob + padding
        blobs += body + struct.pack("<II4s", zlib.adler32(body), len(blob), b"BlbE")
        struct.pack_into("<4sIII", slot_area, number * SLOT, b"Slot", index, block, count)
        block += count
    header = struct.pack("<4sIIII", b"RpmP", 0, 1, pages, max(headers, default=0) + 1)
    slot_area[:32] = header.ljust(32, b"\0")
    return bytes(slot_area + blobs)


def berkeley_db(
    records: Mapping[int, bytes], path: Path, *, page_size: int = 4096, big_endian: bool = False
) -> bytes:
    """A real Berkeley DB hash database, written by libdb's own ``db5.3_load`` from a
    dump (db_dump's ``bytevalue`` format): rpm's package numbers (in the byte order of
    the database, as rpm stores them) to header blobs, plus rpm's counter under key 0."""
    tool = shutil.which("db5.3_load") or shutil.which("db_load")
    if tool is None:
        pytest.skip("needs db5.3_load (apt-get install db5.3-util)")
    order = ">" if big_endian else "<"
    lines = ["VERSION=3", "format=bytevalue", "type=hash", f"db_pagesize={page_size}"]
    lines += [f"db_lorder={4321 if big_endian else 1234}", "HEADER=END"]
    counter = struct.pack(order + "I", max(records, default=0) + 1)
    for key, value in {0: counter, **records}.items():
        lines += [" " + struct.pack(order + "I", key).hex(), " " + value.hex()]
    lines.append("DATA=END")
    dump = path.with_suffix(".dump")
    dump.write_text("\n".join(lines) + "\n")
    path.unlink(missing_ok=True)
    subprocess.run([tool, "-f", str(dump), str(path)], check=True, capture_output=True)
    return path.read_bytes()
