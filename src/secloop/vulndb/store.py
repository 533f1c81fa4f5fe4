"""The local vulnerability index: one SQLite file, keyed for per-package lookup.

Layout: ``advisories(id, modified, record)`` holds each record as compact JSON of the
core :class:`Advisory`; ``affected(ecosystem, name, advisory_id)`` is the lookup index,
names normalised per ecosystem (:mod:`secloop.vulndb.names`); ``meta`` holds the
schema version, the as-of time (the newest ``modified`` among the records, or what the
importer says) and import statistics.

A database is never modified in place. :func:`build_database` writes a new file next
to the old one and switches with ``os.replace`` only once it is complete and
committed, so a failed or interrupted import leaves the old database working, and a
reader never sees half a database. Withdrawn records are dropped at build time.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from secloop.core.advisory import Advisory
from secloop.vulndb.codec import advisory_from_dict, advisory_to_json
from secloop.vulndb.errors import DatabaseCorruptError, DatabaseNotFoundError
from secloop.vulndb.names import normalise_name

__all__ = [
    "SCHEMA_VERSION",
    "BuildReport",
    "DatabaseStatus",
    "VulnerabilityStore",
    "build_database",
    "default_db_path",
]

SCHEMA_VERSION = "1"
_DB_ENV = "SECLOOP_DB"

_CHUNK = 500  # names per ``IN (...)`` query, well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE advisories (id TEXT PRIMARY KEY, modified TEXT, record TEXT NOT NULL);
CREATE TABLE affected (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisory_id TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id)
) WITHOUT ROWID;
"""


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$SECLOOP_DB``, else ``$XDG_CACHE_HOME/secloop/db/vulndb.sqlite``, else ~/.cache."""
    env = os.environ if environ is None else environ
    if env.get(_DB_ENV):
        return Path(env[_DB_ENV]).expanduser()
    cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return cache / "secloop" / "db" / "vulndb.sqlite"


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    """What an import did: records kept, dropped as withdrawn, and duplicates replaced."""

    path: Path
    advisories: int
    withdrawn: int
    duplicates: int
    package_keys: int
    as_of: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseStatus:
    path: Path
    schema_version: str
    as_of: datetime | None
    built_at: datetime | None
    source: str
    advisories: int
    ecosystems: Mapping[str, int]


def _newest(advisories: dict[str, Advisory]) -> datetime | None:
    times = [a.modified for a in advisories.values() if a.modified is not None]
    return max(times) if times else None


def _keep_newest(advisories: Iterable[Advisory]) -> tuple[dict[str, Advisory], int, int]:
    """Drop withdrawn records; of two with one id keep the newer. Returns counts too."""
    kept: dict[str, Advisory] = {}
    withdrawn_ids: set[str] = set()
    duplicates = 0
    for advisory in advisories:
        if advisory.withdrawn is not None:
            withdrawn_ids.add(advisory.id)
            continue
        previous = kept.get(advisory.id)
        if previous is not None:
            duplicates += 1
            if (previous.modified or datetime.min.replace(tzinfo=UTC)) > (
                advisory.modified or datetime.min.replace(tzinfo=UTC)
            ):
                continue
        kept[advisory.id] = advisory
    for identifier in withdrawn_ids:  # a withdrawal wins over an older live copy
        kept.pop(identifier, None)
    return kept, len(withdrawn_ids), duplicates


def _index_rows(advisory: Advisory) -> set[tuple[str, str, str]]:
    return {
        (a.ecosystem, normalise_name(a.ecosystem, a.name), advisory.id) for a in advisory.affected
    }


def _write(connection: sqlite3.Connection, kept: dict[str, Advisory], meta: dict[str, str]) -> int:
    connection.executescript(_SCHEMA)
    connection.executemany(
        "INSERT INTO advisories VALUES (?, ?, ?)",
        (
            (a.id, a.modified.isoformat() if a.modified else None, advisory_to_json(a))
            for a in kept.values()
        ),
    )
    rows = {row for a in kept.values() for row in _index_rows(a)}
    connection.executemany("INSERT INTO affected VALUES (?, ?, ?)", sorted(rows))
    connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    connection.commit()
    return len({(e, n) for e, n, _ in rows})


def build_database(
    path: Path,
    advisories: Iterable[Advisory],
    *,
    source: str,
    as_of: datetime | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BuildReport:
    """Build a complete new database from ``advisories`` and switch ``path`` to it atomically."""
    kept, withdrawn, duplicates = _keep_newest(advisories)
    as_of = as_of or _newest(kept)
    meta = {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.isoformat() if as_of else "",
        "built_at": clock().isoformat(),
        "source": source,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".vulndb-", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with contextlib.closing(sqlite3.connect(temp_name)) as connection:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")  # fsync once, below
            keys = _write(connection, kept, meta)
        with open(temp_name, "rb+") as written:  # noqa: PTH123 - need the fd to fsync
            os.fsync(written.fileno())
        Path(temp_name).replace(path)  # the atomic switch (rename within one directory)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return BuildReport(
        path=path,
        advisories=len(kept),
        withdrawn=withdrawn,
        duplicates=duplicates,
        package_keys=keys,
        as_of=as_of,
    )


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _batch_query(count: int) -> str:
    """The lookup of ``count`` names of one ecosystem; rows in index (name, id) order."""
    placeholders = ", ".join("?" * count)
    return (
        "SELECT f.name, a.id, a.record FROM affected f "  # noqa: S608 - "?" placeholders only
        "JOIN advisories a ON a.id = f.advisory_id "
        f"WHERE f.ecosystem = ? AND f.name IN ({placeholders}) ORDER BY f.name, f.advisory_id"
    )


class VulnerabilityStore:
    """Read access to a built database; open once per scan, look up per package."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise DatabaseNotFoundError(
                f"vulnerability database not found at {path}; "
                "run `secloop db import PATH` or `secloop db update`"
            )
        self.path = path
        self._connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        self._cache: dict[str, Advisory] = {}
        self._texts: dict[str, str] = {}
        self._parsed: dict[str, dict[str, Any]] = {}
        self._ids: dict[tuple[str, str], tuple[str, ...]] = {}
        self._meta = self._read_meta()

    def _read_meta(self) -> dict[str, str]:
        try:
            rows = self._connection.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError as err:
            self._connection.close()
            raise DatabaseCorruptError(f"{self.path}: not a secloop database ({err})") from None
        meta = {str(k): str(v) for k, v in rows}
        if meta.get("schema_version") != SCHEMA_VERSION:
            self._connection.close()
            raise DatabaseCorruptError(
                f"{self.path}: database schema {meta.get('schema_version')!r}, "
                f"this secloop reads {SCHEMA_VERSION!r}; re-import it"
            )
        return meta

    def prefetch(self, ecosystem: str, names: Iterable[str]) -> None:
        """Load the index rows and records of many packages in a few ``IN`` queries.

        A scan of a large inventory would otherwise pay one query per package; records
        shared by many packages are read once. Names not in the index are remembered
        as having no advisories.
        """
        wanted = {normalise_name(ecosystem, n) for n in names}
        missing = sorted(n for n in wanted if (ecosystem, n) not in self._ids)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            found: dict[str, list[str]] = {n: [] for n in chunk}
            rows = self._connection.execute(_batch_query(len(chunk)), (ecosystem, *chunk))
            for name, identifier, record in rows:
                found[name].append(identifier)
                self._texts.setdefault(identifier, record)
            self._ids.update(((ecosystem, n), tuple(ids)) for n, ids in found.items())

    def advisory_ids(self, ecosystem: str, name: str) -> tuple[str, ...]:
        """The ids of every advisory naming this package, in id order."""
        key = (ecosystem, normalise_name(ecosystem, name))
        if key not in self._ids:
            self.prefetch(ecosystem, (name,))
        return self._ids[key]

    def record(self, identifier: str) -> dict[str, Any]:
        """The parsed stored record (:mod:`codec` layout) of a prefetched id, parsed once."""
        parsed = self._parsed.get(identifier)
        if parsed is None:
            parsed = self._parsed[identifier] = json.loads(self._texts[identifier])
        return parsed

    def advisory(self, identifier: str) -> Advisory:
        """The decoded advisory of a prefetched id, decoded once per store."""
        advisory = self._cache.get(identifier)
        if advisory is None:
            advisory = self._cache[identifier] = advisory_from_dict(self.record(identifier))
        return advisory

    def lookup(self, ecosystem: str, name: str) -> list[Advisory]:
        """Every advisory naming this package (any version); match versions with matching."""
        return [self.advisory(i) for i in self.advisory_ids(ecosystem, name)]

    def status(self) -> DatabaseStatus:
        counts = self._connection.execute(
            "SELECT ecosystem, COUNT(DISTINCT advisory_id) FROM affected GROUP BY ecosystem"
        ).fetchall()
        (total,) = self._connection.execute("SELECT COUNT(*) FROM advisories").fetchone()
        return DatabaseStatus(
            path=self.path,
            schema_version=self._meta["schema_version"],
            as_of=_parse_time(self._meta.get("as_of")),
            built_at=_parse_time(self._meta.get("built_at")),
            source=self._meta.get("source", ""),
            advisories=int(total),
            ecosystems={str(e): int(n) for e, n in counts},
        )

    @property
    def as_of(self) -> datetime | None:
        return _parse_time(self._meta.get("as_of"))

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> VulnerabilityStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
