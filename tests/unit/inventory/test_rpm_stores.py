"""rpm's NDB (``Packages.db``) and Berkeley DB (``Packages``) stores: packages read
from the header blobs, damaged files refused with the slot or page named.

Berkeley DB files are written by libdb's own db5.3_load; NDB files by a writer that
follows rpm's rpmpkg.c, as Debian's rpm is built without NDB (tests/unit/image/
rpmdb_writers.py). Real rpm-made databases are in tests/integration/image."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from secloop.core.package import PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import FileContent, FileEntry, ScanError
from secloop.scan.inventory.os import system_analyzers
from secloop.scan.inventory.os.rpm import RpmAnalyzer, RpmStore, parse_rpmdb
from secloop.scan.inventory.os.rpmdb_bdb import is_bdb_hash
from tests.unit.image.rpmdb_writers import berkeley_db, ndb
from tests.unit.image.test_os_inventory import _rpm_header

HERE = PackageLocation(path="var/lib/rpm/Packages")
_SUMMARY = 1004  # a tag the parser does not keep: it only makes headers bigger

HEADERS = {
    3: _rpm_header({1000: "bash", 1001: "4.4.20", 1002: "4.el8", 1014: "GPLv3+"}),
    1: _rpm_header(
        {
            1000: "openssl-libs",
            1001: "1.1.1k",
            1002: "9.el8",
            1003: 1,
            1044: "openssl-1.1.1k-9.el8.src.rpm",
            _SUMMARY: "A general purpose cryptography library " * 60,  # off-page in BDB
        }
    ),
    7: _rpm_header({1000: "gpg-pubkey", 1001: "8483c65d", 1002: "5ccc5b19"}),
}
EXPECTED = [("openssl-libs", "1:1.1.1k-9.el8", "openssl"), ("bash", "4.4.20-4.el8", "bash")]


def _summary(store: RpmStore, data: bytes) -> list[tuple[str, str, str | None]]:
    return [(p.name, p.version, p.source_name) for p in parse_rpmdb(store, data, "Red Hat:8", HERE)]


def _many(count: int) -> dict[int, bytes]:
    return {
        n: _rpm_header({1000: f"pkg{n}", 1001: "1.0", 1002: f"{n}.el8", _SUMMARY: "x" * (n * 7)})
        for n in range(1, count + 1)
    }


# -- NDB ---------------------------------------------------------------------------------


def test_ndb_packages_by_index() -> None:
    assert _summary(RpmStore.NDB, ndb(HEADERS)) == EXPECTED


def test_ndb_with_several_slot_pages() -> None:
    packages = parse_rpmdb(RpmStore.NDB, ndb(_many(600)), "SUSE", HERE)
    assert len(packages) == 600
    assert packages[599].name == "pkg600"


def _damage(data: bytes, offset: int, value: bytes) -> bytes:
    changed = bytearray(data)
    changed[offset : offset + len(value)] = value
    return bytes(changed)


def _first_blob(data: bytes) -> int:
    block: int = struct.unpack_from("<I", data, 32 + 8)[0]  # slot 2's block offset
    return block * 16


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: b"Rpmx" + d[4:], "not an rpm NDB database"),
        (lambda d: _damage(d, 4, struct.pack("<I", 1)), "NDB version 1"),
        (lambda d: _damage(d, 12, struct.pack("<I", 9)), "9 slot pages do not fit"),
        (lambda d: _damage(d, 48, b"Slox"), "slot 3 has no Slot magic"),
        (lambda d: _damage(d, 40, struct.pack("<I", 10**6)), "slot 2 .* outside the blob area"),
        (lambda d: _damage(d, 40, struct.pack("<I", 3)), "slot 2 .* outside the blob area"),
        (lambda d: _damage(d, _first_blob(d) + 4, struct.pack("<I", 99)), "does not belong"),
        (lambda d: _damage(d, _first_blob(d) + 12, struct.pack("<I", 5)), "does not fill"),
        (lambda d: _damage(d, _first_blob(d) + 20, b"\xff"), "Adler-32 checksum"),
    ],
)
def test_damaged_ndb_is_refused_with_the_place(damage: object, message: str) -> None:
    data = damage(ndb(HEADERS))  # type: ignore[operator]
    with pytest.raises(ScanError, match=message):
        parse_rpmdb(RpmStore.NDB, data, "SUSE", HERE)


def test_ndb_blob_tail_is_checked() -> None:
    data = ndb(HEADERS)
    count = struct.unpack_from("<I", data, 32 + 12)[0]
    tail = _first_blob(data) + count * 16 - 12
    with pytest.raises(ScanError, match=r"slot 2 .* tail is damaged"):
        parse_rpmdb(RpmStore.NDB, _damage(data, tail + 8, b"BlbX"), "SUSE", HERE)


# -- Berkeley DB -------------------------------------------------------------------------


def test_berkeley_db_little_endian(tmp_path: Path) -> None:
    data = berkeley_db(HEADERS, tmp_path / "Packages")
    assert is_bdb_hash(data)
    assert _summary(RpmStore.BERKELEY_DB, data) == EXPECTED


def test_berkeley_db_big_endian_small_pages_many_packages(tmp_path: Path) -> None:
    """512-byte pages: long overflow chains and many hash pages, in big-endian order as
    written on s390x or POWER (keys in that order too)."""
    records = _many(300)
    data = berkeley_db(records, tmp_path / "Packages", page_size=512, big_endian=True)
    assert data[12:16] == bytes.fromhex("00061561")
    packages = parse_rpmdb(RpmStore.BERKELEY_DB, data, "Red Hat:8", HERE)
    assert [p.name for p in packages] == [f"pkg{n}" for n in range(1, 301)]


def _pages(data: bytes, kind: int) -> list[int]:
    size: int = struct.unpack_from("<I", data, 20)[0]
    return [n for n in range(len(data) // size) if data[n * size + 25] == kind]


def test_damaged_berkeley_db_is_refused_with_the_page(tmp_path: Path) -> None:
    data = berkeley_db(HEADERS, tmp_path / "Packages")
    overflow = _pages(data, 7)[0] * 4096
    cases = {
        "not a Berkeley DB hash database": b"\0" * 16 + data[16:],
        "page size 1000 is not valid": _damage(data, 20, struct.pack("<I", 1000)),
        "is encrypted": _damage(data, 24, b"\x01"),
        "page 0 is not a hash metadata page": _damage(data, 25, b"\x09"),
        "broken overflow chain": _damage(data, overflow + 16, struct.pack("<I", overflow // 4096)),
        "overflow page .* overruns": _damage(data, overflow + 22, struct.pack("<H", 5000)),
        "bytes in its chain": _damage(data, overflow + 22, struct.pack("<H", 10)),
    }
    for message, damaged in cases.items():
        with pytest.raises(ScanError, match=message):
            parse_rpmdb(RpmStore.BERKELEY_DB, damaged, "Red Hat:8", HERE)


def _package_pairs(data: bytes) -> list[tuple[int, int, int]]:
    """(page, key offset, value offset) of each package's pair, rpm's key 0 left out."""
    found = []
    for page in _pages(data, 13):
        start = page * 4096
        entries = struct.unpack_from("<H", data, start + 20)[0]
        offsets = struct.unpack_from(f"<{entries}H", data, start + 26)
        for key, value in zip(offsets[0::2], offsets[1::2], strict=True):
            if data[start + key + 1 : start + key + 5] != bytes(4):
                found.append((page, key, value))
    return found


def test_berkeley_db_hash_page_items_are_checked(tmp_path: Path) -> None:
    data = berkeley_db(HEADERS, tmp_path / "Packages")
    page, key, value = _package_pairs(data)[0]
    start = page * 4096
    entries = struct.unpack_from("<H", data, start + 20)[0]
    cases = {
        f"hash page {page} has {entries + 1} items": (20, struct.pack("<H", entries + 1)),
        f"hash page {page} item 0 is out of place": (26, b"\x05\x00"),
        "key that is not a package number": (key, b"\x03"),
        "unknown item type": (value, b"\x02"),
    }
    for message, (offset, value_bytes) in cases.items():
        damaged = _damage(data, start + offset, value_bytes)
        with pytest.raises(ScanError, match=message):
            parse_rpmdb(RpmStore.BERKELEY_DB, damaged, "Red Hat:8", HERE)


# -- the analyzer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "store"),
    [
        ("var/lib/rpm/rpmdb.sqlite", RpmStore.SQLITE),
        ("usr/lib/sysimage/rpm/rpmdb.sqlite", RpmStore.SQLITE),
        ("var/lib/rpm/Packages.db", RpmStore.NDB),
        ("usr/lib/sysimage/rpm/Packages.db", RpmStore.NDB),
        ("var/lib/rpm/Packages", RpmStore.BERKELEY_DB),
        ("usr/lib/sysimage/rpm/Packages", RpmStore.BERKELEY_DB),
    ],
)
def test_the_analyzer_takes_every_store(path: str, store: RpmStore, tmp_path: Path) -> None:
    analyzer = RpmAnalyzer(OperatingSystem(family="rhel", name="RHEL", version="8.9"))
    entry = FileEntry(path=path, size=1)
    assert analyzer.applies_to(entry)
    if store is RpmStore.SQLITE:
        return  # tests/unit/image/test_os_inventory.py
    data = ndb(HEADERS) if store is RpmStore.NDB else berkeley_db(HEADERS, tmp_path / "P")
    packages = analyzer.analyze(FileContent(entry=entry, data=data)).packages
    assert [(p.name, p.ecosystem) for p in packages] == [
        ("openssl-libs", "Red Hat:8"),
        ("bash", "Red Hat:8"),
    ]
    assert packages[0].locations[0].path == path


def test_other_rpm_files_are_not_taken() -> None:
    analyzer = next(a for a in system_analyzers(None) if isinstance(a, RpmAnalyzer))
    for path in ("var/lib/rpm/Index.db", "var/lib/rpm/Name", "srv/Packages", "Packages"):
        assert not analyzer.applies_to(FileEntry(path=path, size=1))
