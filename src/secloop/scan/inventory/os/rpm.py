"""rpm: the three package stores of rpm, read without rpm.

- SQLite (``rpmdb.sqlite``, rpm 4.16+: Fedora, RHEL 9+): each row of ``Packages``
  holds one header blob. rpm keeps the database in WAL mode, so recent transactions
  may sit in ``rpmdb.sqlite-wal`` beside it, not yet copied into the main file.
  Without a WAL the database is opened in memory from the bytes the engine read
  (``Connection.deserialize``); with one, both are written to a private temporary
  directory and opened there read-only, so SQLite applies the WAL as rpm would.
  Nothing is ever opened at a path inside the image or root.
- NDB (``Packages.db``, rpm 4.15+ on SUSE): :mod:`.rpmdb_ndb`.
- Berkeley DB (``Packages``, RHEL/CentOS up to 8, Amazon Linux 2): :mod:`.rpmdb_bdb`.

All three hold the same header blob: the rpm header structure of the RPM file format
(a count of index entries and the data length, big-endian, then 16-byte entries
``tag, type, offset, count`` into a data store). Only string and int32 tags are
decoded, every offset and length is bounds-checked, and a malformed header is
skipped, not trusted. Packages are listed in package-number order, as ``rpm -qa``.
"""

from __future__ import annotations

import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path

from secloop.core.errors import Error
from secloop.core.license import normalize_license
from secloop.core.package import Package, PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import (
    MIB,
    Analyzer,
    AnalyzerOutput,
    FileContent,
    FileEntry,
    ScanError,
)
from secloop.scan.inventory.os.release import RPM_DISTRIBUTIONS, distro_ecosystem, purl_distro
from secloop.scan.inventory.os.rpmdb_bdb import bdb_blobs
from secloop.scan.inventory.os.rpmdb_ndb import ndb_blobs

__all__ = [
    "RpmAnalyzer",
    "RpmStore",
    "parse_rpm_header",
    "parse_rpmdb",
    "parse_rpmdb_sqlite",
]


class RpmStore(Enum):
    """The database formats of rpm, by the file name that holds the packages."""

    SQLITE = "rpmdb.sqlite"
    NDB = "Packages.db"
    BERKELEY_DB = "Packages"


_DB_DIRS = ("var/lib/rpm", "usr/lib/sysimage/rpm")
DB_PATHS = {f"{d}/{store.value}": store for d in _DB_DIRS for store in RpmStore}
_WAL_SUFFIX = "-wal"
WAL_PATHS = frozenset(f"{d}/{RpmStore.SQLITE.value}{_WAL_SUFFIX}" for d in _DB_DIRS)
#: Real rpm databases are 5-100 MiB (Fedora with a desktop: ~70 MiB of rpmdb.sqlite),
#: past the walk's default 10 MiB; this allowance is still capped by the scan limits.
MAX_DB_BYTES = 512 * MIB
_NAME, _VERSION, _RELEASE, _EPOCH, _ARCH, _LICENSE, _SOURCERPM = (
    1000, 1001, 1002, 1003, 1022, 1014, 1044,
)  # fmt: skip
_WANTED = frozenset({_NAME, _VERSION, _RELEASE, _EPOCH, _ARCH, _LICENSE, _SOURCERPM})
_SQLITE_WAL_MODE = b"\x02\x02"  # file format write/read versions: 2 = WAL (fileformat2)
_INT32, _STRING = 4, 6
_MAX_ENTRIES = 65536


def _string_at(store: bytes, offset: int) -> str | None:
    end = store.find(b"\0", offset)
    if offset < 0 or end < 0:
        return None
    return store[offset:end].decode("utf-8", errors="replace")


def _tags(blob: bytes) -> Iterator[tuple[int, int, int]]:
    if len(blob) < 8:
        return
    count, length = struct.unpack(">II", blob[:8])
    if count > _MAX_ENTRIES or 8 + count * 16 + length > len(blob):
        return
    for i in range(count):
        tag, kind, offset, _ = struct.unpack(">IIiI", blob[8 + i * 16 : 24 + i * 16])
        if tag in _WANTED and 0 <= offset < length:
            yield tag, kind, offset


def parse_rpm_header(blob: bytes) -> dict[int, str | int]:
    """The wanted tags of one header blob; empty when the blob is malformed."""
    count = struct.unpack(">I", blob[:4])[0] if len(blob) >= 4 else 0
    store = blob[8 + count * 16 :]
    values: dict[int, str | int] = {}
    for tag, kind, offset in _tags(blob):
        if kind == _STRING:
            text = _string_at(store, offset)
            if text is not None:
                values[tag] = text
        elif kind == _INT32 and offset + 4 <= len(store):
            values[tag] = struct.unpack(">i", store[offset : offset + 4])[0]
    return values


def _source_name(source_rpm: object) -> str | None:
    """``openssl-3.0.7-25.el9.src.rpm`` -> ``openssl``."""
    if not isinstance(source_rpm, str) or not source_rpm.endswith(".rpm"):
        return None
    parts = source_rpm.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else None


def _license(declared: object) -> str | None:
    """The ``LICENSE`` tag: SPDX expressions in Fedora and RHEL 10, older Fedora
    short names (``ASL 2.0``, ``GPLv2+``) elsewhere, kept as written when not SPDX."""
    return normalize_license(declared) if isinstance(declared, str) else None


_SELECT_PACKAGES = "SELECT hnum, blob FROM Packages"


def _rows(data: bytes, wal: bytes | None, path: str) -> list[tuple[int, bytes]]:
    """The ``Packages`` rows: in memory from the bytes read, or, when a ``-wal`` holds
    transactions not yet checkpointed, from a private copy that SQLite applies it to."""
    try:
        if wal is None:
            return _select_rows(_in_memory(data))
        with tempfile.TemporaryDirectory(prefix="secloop-rpmdb-") as work:
            database = Path(work) / RpmStore.SQLITE.value
            database.write_bytes(data)
            database.with_name(database.name + _WAL_SUFFIX).write_bytes(wal)
            return _select_rows(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True))
    except sqlite3.Error as err:
        raise ScanError(f"{path}: not a readable rpm SQLite database ({err})") from None


def _in_memory(data: bytes) -> sqlite3.Connection:
    image = bytearray(data)
    if image[18:20] == _SQLITE_WAL_MODE:
        # A WAL-mode database without its WAL (checkpointed, or none shipped): every page
        # is in the main file, and a WAL-mode file cannot be deserialized: read it as a
        # rollback-journal database.
        image[18:20] = b"\x01\x01"
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(bytes(image))
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _select_rows(connection: sqlite3.Connection) -> list[tuple[int, bytes]]:
    try:
        connection.execute("PRAGMA trusted_schema = OFF")  # no functions from the file
        return [(int(r[0]), bytes(r[1])) for r in connection.execute(_SELECT_PACKAGES)]
    finally:
        connection.close()


def _blobs(
    store: RpmStore, data: bytes, path: str, wal: bytes | None
) -> Iterable[tuple[int, bytes]]:
    if store is RpmStore.SQLITE:
        return _rows(data, wal, path)
    if store is RpmStore.NDB:
        return ndb_blobs(data, path)
    return bdb_blobs(data, path)


def _package(
    blob: bytes, ecosystem: str, location: PackageLocation, distro: str | None
) -> Package | None:
    tags = parse_rpm_header(blob)
    name, version, release = tags.get(_NAME), tags.get(_VERSION), tags.get(_RELEASE)
    if not isinstance(name, str) or not isinstance(version, str) or name == "gpg-pubkey":
        return None
    full = f"{version}-{release}" if isinstance(release, str) else version
    epoch = tags.get(_EPOCH)
    if isinstance(epoch, int) and epoch > 0:
        full = f"{epoch}:{full}"
    arch = tags.get(_ARCH)
    return Package.create(
        name=name,
        version=full,
        ecosystem=ecosystem,
        source_name=_source_name(tags.get(_SOURCERPM)) or name,
        locations=(location,),
        license=_license(tags.get(_LICENSE)),
        purl_qualifiers={"arch": arch if isinstance(arch, str) else "", "distro": distro or ""},
    )


def parse_rpmdb(
    store: RpmStore,
    data: bytes,
    ecosystem: str,
    location: PackageLocation,
    *,
    wal: bytes | None = None,
    distro: str | None = None,
) -> tuple[Package, ...]:
    """The packages of an rpm database in any of its formats, by package number;
    ``wal`` is the SQLite store's write-ahead log, when it has one."""
    numbered = sorted(_blobs(store, data, location.path, wal), key=lambda item: item[0])
    found = (_package(blob, ecosystem, location, distro) for _, blob in numbered)
    return tuple(p for p in found if p is not None)


def parse_rpmdb_sqlite(
    data: bytes, ecosystem: str, location: PackageLocation, *, wal: bytes | None = None
) -> tuple[Package, ...]:
    return parse_rpmdb(RpmStore.SQLITE, data, ecosystem, location, wal=wal)


#: Reads a file of the same system by path (links followed inside it): the bytes, or
#: None when there is no such regular file; ScanError when it cannot be read.
ReadBeside = Callable[[str], bytes | None]


class RpmAnalyzer(Analyzer):
    """rpm's databases; given ``read_beside`` (the system being scanned), the SQLite
    store is read together with its ``-wal``."""

    name = "rpm"
    text_only = False
    max_bytes = MAX_DB_BYTES

    def __init__(
        self, os: OperatingSystem | None = None, *, read_beside: ReadBeside | None = None
    ) -> None:
        family = os.family if os else ""
        qualified = distro_ecosystem(os) if family in RPM_DISTRIBUTIONS else None
        self.ecosystem = qualified or "Red Hat"
        self.distro = purl_distro(os)  # the system's release, whatever the package format
        self._read_beside = read_beside

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.path in DB_PATHS

    def claims(self, path: str) -> bool:
        return path in DB_PATHS or path in WAL_PATHS

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        store = DB_PATHS[entry.path]
        wal, problems = self._wal(entry.path) if store is RpmStore.SQLITE else (None, ())
        packages = parse_rpmdb(
            store, content.data, self.ecosystem, location, wal=wal, distro=self.distro
        )
        return AnalyzerOutput(packages=packages, problems=problems)

    def _wal(self, database: str) -> tuple[bytes | None, tuple[str, ...]]:
        """The database's write-ahead log (None when it has none), and why it is
        missing when it could not be read: the main file is still read alone."""
        if self._read_beside is None:
            return None, ()
        try:
            return self._read_beside(database + _WAL_SUFFIX), ()
        except Error as err:
            return None, (f"write-ahead log not read ({err}); packages only in it are missing",)
