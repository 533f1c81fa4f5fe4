"""The local vulnerability index: one SQLite file, keyed for per-package lookup.

Layout: ``advisories(id, modified, record, facts)`` holds each record as compact JSON of
the core :class:`Advisory`, and beside it the part a finding shows
(:class:`~secloop.vulndb.facts.AdvisoryFacts`, schema 3) in a smaller positional form,
which is all a scan reads of a matching record; ``affected(ecosystem, name,
advisory_id, fixes)`` is the lookup index, names normalised per ecosystem
(:mod:`secloop.vulndb.names`); ``meta`` holds the schema version, the as-of time (the
newest ``modified`` among the records, or what the importer says) and import statistics.

The precompiled form (schema 2): for ecosystems whose version order has a binary key
(:mod:`secloop.vulndb.versions.binary`: PyPI, npm, crates.io, Go, Hex, Pub) every
range of a package's entries is stored at import as byte intervals in ``spans``
(:mod:`secloop.vulndb.spans`), the enumerated versions that no interval covers in
``listed``, and the ``fixed`` versions with their keys in ``affected.fixes``. A scan
then matches without reading or decoding a record, and decodes only the records that
match: :meth:`VulnerabilityStore.probe` joins a batch of installed releases with the
spans in SQLite and returns only the rows that affect them. ``fixes`` is NULL for a
package entry that is not precompiled (another ecosystem, or a version that has no
binary key): that one is matched from its record.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from secloop.core.advisory import Advisory, AffectedPackage
from secloop.vulndb.codec import advisory_from_dict, advisory_to_json
from secloop.vulndb.errors import (
    DatabaseCorruptError,
    DatabaseNotFoundError,
    DatabaseOutdatedError,
    UnknownEcosystemError,
)
from secloop.vulndb.facts import AdvisoryFacts, facts_from_json, facts_to_json
from secloop.vulndb.names import normalise_name
from secloop.vulndb.spans import EntryForm, UnencodableVersionError, compile_entry
from secloop.vulndb.versions.binary import binary_key_for

__all__ = [
    "SCHEMA_VERSION",
    "BuildReport",
    "DatabaseStatus",
    "PackageIndex",
    "Probe",
    "ProbeResult",
    "VulnerabilityStore",
    "build_database",
    "default_db_path",
]

SCHEMA_VERSION = "3"  # 2: precompiled ranges (spans, listed, affected.fixes); 3: facts
_DB_ENV = "SECLOOP_DB"

_CHUNK = 500  # names per ``IN (...)`` query, well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE advisories (
    id TEXT PRIMARY KEY, modified TEXT, record TEXT NOT NULL, facts TEXT NOT NULL
);
CREATE TABLE affected (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisory_id TEXT NOT NULL, fixes TEXT,
    PRIMARY KEY (ecosystem, name, advisory_id)
) WITHOUT ROWID;
CREATE TABLE spans (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisory_id TEXT NOT NULL,
    entry INTEGER NOT NULL, range INTEGER NOT NULL, low BLOB NOT NULL, high BLOB,
    PRIMARY KEY (ecosystem, name, advisory_id, entry, range, low)
) WITHOUT ROWID;
CREATE TABLE listed (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
    advisory_id TEXT NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (ecosystem, name, version, advisory_id, entry)
) WITHOUT ROWID;
"""

Span = tuple[bytes, bytes | None, str, int, int]  # low, high, advisory id, entry, range


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


def _stored_ranges(affected: AffectedPackage) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(r.type.value, [(e.kind.value, e.version) for e in r.events]) for r in affected.ranges]


def _forms(
    ecosystem: str, entries: list[tuple[int, AffectedPackage]]
) -> list[tuple[int, EntryForm]] | None:
    """The precompiled form of a package's entries in one record, or None when the
    ecosystem has no binary key (or is unknown) or a range version cannot be encoded."""
    try:
        binary = binary_key_for(ecosystem)
    except UnknownEcosystemError:
        return None
    if binary is None:
        return None
    try:
        return [
            (
                index,
                compile_entry(_stored_ranges(a), a.versions, binary),
            )
            for index, a in entries
        ]
    except UnencodableVersionError:
        return None


@dataclass(slots=True)
class _Rows:
    affected: list[tuple[str, str, str, str | None]]
    spans: list[tuple[str, str, str, int, int, bytes, bytes | None]]
    listed: list[tuple[str, str, str, str, int]]


def _add_rows(rows: _Rows, advisory: Advisory) -> None:
    """The index rows of one record: one ``affected`` row per package it names, and
    the precompiled spans, listed versions and fixes where there is a binary key."""
    packages: dict[tuple[str, str], list[tuple[int, AffectedPackage]]] = {}
    for index, entry in enumerate(advisory.affected):
        key = (entry.ecosystem, normalise_name(entry.ecosystem, entry.name))
        packages.setdefault(key, []).append((index, entry))
    for (ecosystem, name), entries in packages.items():
        forms = _forms(ecosystem, entries)
        if forms is None:
            rows.affected.append((ecosystem, name, advisory.id, None))
            continue
        fixes: list[tuple[int, int, str, str]] = []
        for position, form in forms:
            head = (ecosystem, name, advisory.id, position)
            rows.spans.extend((*head, r, low, high) for r, (low, high) in form.spans)
            rows.listed.extend((ecosystem, name, v, advisory.id, position) for v in form.versions)
            fixes.extend((position, r, version, key.hex()) for r, version, key in form.fixes)
        text = json.dumps(fixes, separators=(",", ":"), ensure_ascii=False)
        rows.affected.append((ecosystem, name, advisory.id, text))


def _write(connection: sqlite3.Connection, kept: dict[str, Advisory], meta: dict[str, str]) -> int:
    connection.executescript(_SCHEMA)
    connection.executemany(
        "INSERT INTO advisories VALUES (?, ?, ?, ?)",
        (
            (
                a.id,
                a.modified.isoformat() if a.modified else None,
                advisory_to_json(a),
                facts_to_json(AdvisoryFacts.of(a)),
            )
            for a in kept.values()
        ),
    )
    rows = _Rows(affected=[], spans=[], listed=[])
    for advisory in kept.values():
        _add_rows(rows, advisory)
    rows.affected.sort(key=lambda row: row[:3])
    connection.executemany("INSERT INTO affected VALUES (?, ?, ?, ?)", rows.affected)
    rows.spans.sort(key=lambda row: row[:5])
    connection.executemany("INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?)", rows.spans)
    connection.executemany("INSERT OR IGNORE INTO listed VALUES (?, ?, ?, ?, ?)", rows.listed)
    connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    connection.commit()
    return len({(e, n) for e, n, _, _ in rows.affected})


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


def _outdated_message(path: Path, found: str | None) -> str:
    if found is not None and found.isdigit() and int(found) < int(SCHEMA_VERSION):
        return (
            f"{path}: database built by an older secloop (schema {found}, this secloop "
            f"reads {SCHEMA_VERSION}); run `secloop db update` or `secloop db import PATH` "
            "again to rebuild it"
        )
    return (
        f"{path}: database schema {found!r}, this secloop reads {SCHEMA_VERSION!r}; "
        "rebuild it with `secloop db import PATH` or `secloop db update --full`, or "
        "use the secloop that built it"
    )


def _in_query(select: str, count: int) -> str:
    """``select`` restricted to one ecosystem and ``count`` names (``?`` placeholders)."""
    placeholders = ", ".join("?" * count)
    return f"{select} WHERE f.ecosystem = ? AND f.name IN ({placeholders})"


# In an ecosystem that is not precompiled every candidate's record is needed, so it
# is read with the index; precompiled ones are read only when they match.
_AFFECTED = "SELECT f.name, f.advisory_id, f.fixes FROM affected f"
_AFFECTED_RECORDS = (
    "SELECT f.name, f.advisory_id, f.fixes, a.record FROM affected f "
    "JOIN advisories a ON a.id = f.advisory_id"
)
_SPANS = "SELECT f.name, f.low, f.high, f.advisory_id, f.entry, f.range FROM spans f"
_LISTED = "SELECT f.name, f.version, f.advisory_id, f.entry FROM listed f"

# Matching in the database (:meth:`VulnerabilityStore.probe`): the installed releases go
# into a temporary table and three joins return only what affects them. CROSS JOIN fixes
# the loop order (probe outside, index lookups inside): the planner knows nothing of the
# probe table's size and would otherwise scan every span.
_PROBE_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS probe (query INTEGER NOT NULL, ecosystem TEXT NOT NULL, "
    "name TEXT NOT NULL, version TEXT NOT NULL, key BLOB NOT NULL)"
)
_PROBE_SPANS = (
    "SELECT p.query, s.advisory_id, s.entry, s.range, f.fixes FROM probe p "
    "CROSS JOIN spans s ON s.ecosystem = p.ecosystem AND s.name = p.name "
    "CROSS JOIN affected f ON f.ecosystem = s.ecosystem AND f.name = s.name "
    "AND f.advisory_id = s.advisory_id "
    "WHERE s.low <= p.key AND (s.high IS NULL OR p.key < s.high)"
)
_PROBE_LISTED = (
    "SELECT p.query, l.advisory_id, l.entry, f.fixes FROM probe p "
    "CROSS JOIN listed l ON l.ecosystem = p.ecosystem AND l.name = p.name "
    "AND l.version = p.version "
    "CROSS JOIN affected f ON f.ecosystem = l.ecosystem AND f.name = l.name "
    "AND f.advisory_id = l.advisory_id"
)
_PROBE_GENERAL = (
    "SELECT p.query, f.advisory_id FROM probe p "
    "CROSS JOIN affected f ON f.ecosystem = p.ecosystem AND f.name = p.name "
    "WHERE f.fixes IS NULL"
)

Probe = tuple[int, str, str, str, bytes]  # query number, ecosystem, normalised name, version, key
RangeHit = tuple[int, str, int, int, str]  # query, advisory id, entry, range, stored fixes
ListedHit = tuple[int, str, int, str]  # query, advisory id, entry, stored fixes
GeneralHit = tuple[int, str]  # query, id of an advisory to match from its record


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What the index says of many installed releases at once (:meth:`VulnerabilityStore.probe`):
    the precompiled ranges containing each, its listed versions, and the advisories of its
    package that have no precompiled form."""

    ranges: list[RangeHit]
    listed: list[ListedHit]
    general: list[GeneralHit]


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageIndex:
    """What the index holds for one package (an ecosystem and a normalised name)."""

    ids: tuple[str, ...]  # every advisory naming it, in id order
    general: frozenset[str]  # the ids not precompiled: matched from their records
    fixes: Mapping[str, str]  # id -> JSON [[entry, range, version, key hex]] if precompiled
    spans: tuple[Span, ...]  # the affected intervals of the precompiled advisories
    listed: Mapping[str, tuple[tuple[str, int], ...]]  # version -> (id, entry) not in spans


_NONE: frozenset[str] = frozenset()
_NOTHING = PackageIndex(ids=(), general=_NONE, fixes={}, spans=(), listed={})


@dataclass(slots=True)
class _Gathered:
    """One package's index rows while a chunk is read."""

    ids: list[str] = field(default_factory=list)
    fixes: dict[str, str] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    listed: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def freeze(self) -> PackageIndex:
        self.ids.sort()
        general = _NONE if len(self.fixes) == len(self.ids) else frozenset(self.ids) - {*self.fixes}
        return PackageIndex(
            ids=tuple(self.ids),
            general=general,
            fixes=self.fixes,
            spans=tuple(self.spans),
            listed=self.listed,
        )


def _precompiled(ecosystem: str) -> bool:
    try:
        return binary_key_for(ecosystem) is not None
    except UnknownEcosystemError:
        return False


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
        self._connection.execute("PRAGMA temp_store = MEMORY")  # the probe table
        self._cache: dict[str, Advisory] = {}
        self._facts: dict[str, AdvisoryFacts] = {}
        self._texts: dict[str, str] = {}
        self._parsed: dict[str, dict[str, Any]] = {}
        self._packages: dict[tuple[str, str], PackageIndex] = {}
        self._meta = self._read_meta()

    def _read_meta(self) -> dict[str, str]:
        try:
            rows = self._connection.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError as err:
            self._connection.close()
            raise DatabaseCorruptError(f"{self.path}: not a secloop database ({err})") from None
        meta = {str(k): str(v) for k, v in rows}
        found = meta.get("schema_version")
        if found != SCHEMA_VERSION:
            self._connection.close()
            raise DatabaseOutdatedError(_outdated_message(self.path, found))
        return meta

    def _query(self, select: str, ecosystem: str, names: Sequence[str]) -> sqlite3.Cursor:
        query = _in_query(select, len(names))
        return self._connection.execute(query, (ecosystem, *names))

    def _gather_chunk(self, ecosystem: str, chunk: Sequence[str]) -> None:
        found: dict[str, _Gathered] = {}
        if _precompiled(ecosystem):
            for name, identifier, fixes in self._query(_AFFECTED, ecosystem, chunk):
                package = found.get(name) or found.setdefault(name, _Gathered())
                package.ids.append(identifier)
                if fixes is not None:
                    package.fixes[identifier] = fixes
            for row in self._query(_SPANS, ecosystem, chunk):
                found[row[0]].spans.append(row[1:])
            for name, version, identifier, entry in self._query(_LISTED, ecosystem, chunk):
                listed = found[name].listed
                listed[version] = (*listed.get(version, ()), (identifier, entry))
        else:
            for name, identifier, _, record in self._query(_AFFECTED_RECORDS, ecosystem, chunk):
                (found.get(name) or found.setdefault(name, _Gathered())).ids.append(identifier)
                self._texts.setdefault(identifier, record)
        for name in chunk:
            known = found.get(name)
            self._packages[(ecosystem, name)] = _NOTHING if known is None else known.freeze()

    def prefetch(self, ecosystem: str, names: Iterable[str]) -> None:
        """Load the index of many packages in a few ``IN`` queries per ecosystem.

        A scan of a large inventory would otherwise pay one query per package. The
        records of packages that are not precompiled are read here too (shared ones
        once); precompiled ones are read only when they match. Names not in the index
        are remembered as having no advisories.
        """
        wanted = {normalise_name(ecosystem, n) for n in names}
        missing = sorted(n for n in wanted if (ecosystem, n) not in self._packages)
        for start in range(0, len(missing), _CHUNK):
            self._gather_chunk(ecosystem, missing[start : start + _CHUNK])

    def probe(self, probes: Sequence[Probe]) -> ProbeResult:
        """Match many releases of precompiled ecosystems inside the database.

        Each probe is a release whose version has a binary key. Only the rows that
        affect some probe come back, so a scan of a large inventory reads no span it
        does not need and builds no per-package index in Python.
        """
        connection = self._connection
        connection.execute(_PROBE_TABLE)
        try:
            connection.executemany("INSERT INTO probe VALUES (?, ?, ?, ?, ?)", probes)
            return ProbeResult(
                ranges=connection.execute(_PROBE_SPANS).fetchall(),
                listed=connection.execute(_PROBE_LISTED).fetchall(),
                general=connection.execute(_PROBE_GENERAL).fetchall(),
            )
        finally:
            connection.execute("DELETE FROM probe")

    def package(self, ecosystem: str, name: str) -> PackageIndex:
        """The index of one package (any spelling of its name)."""
        key = (ecosystem, normalise_name(ecosystem, name))
        if key not in self._packages:
            self.prefetch(ecosystem, (name,))
        return self._packages[key]

    def advisory_ids(self, ecosystem: str, name: str) -> tuple[str, ...]:
        """The ids of every advisory naming this package, in id order."""
        return self.package(ecosystem, name).ids

    def load_records(self, identifiers: Iterable[str]) -> None:
        """Read the records of many ids in one query (those not read yet)."""
        missing = [i for i in dict.fromkeys(identifiers) if i not in self._texts]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            placeholders = ", ".join("?" * len(chunk))
            query = f"SELECT id, record FROM advisories WHERE id IN ({placeholders})"  # noqa: S608
            # secloop:ignore PY-SQLI-001 '?' placeholders only; the ids are bound
            self._texts.update(self._connection.execute(query, chunk))

    def load_facts(self, identifiers: Iterable[str]) -> Mapping[str, AdvisoryFacts]:
        """The facts of many ids, read in one query per chunk and decoded once per
        store; the result maps every id asked for (KeyError: an id the index lacks)."""
        wanted = list(dict.fromkeys(identifiers))
        cache = self._facts
        # in key order: each chunk's rows lie close together in the file
        missing = sorted(i for i in wanted if i not in cache)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            placeholders = ", ".join("?" * len(chunk))
            query = f"SELECT id, facts FROM advisories WHERE id IN ({placeholders})"  # noqa: S608
            # secloop:ignore PY-SQLI-001 '?' placeholders only; the ids are bound
            for identifier, text in self._connection.execute(query, chunk):
                cache[identifier] = facts_from_json(identifier, text)
        return {i: cache[i] for i in wanted}

    def _text(self, identifier: str) -> str:
        text = self._texts.get(identifier)
        if text is None:
            self.load_records((identifier,))
            text = self._texts[identifier]  # KeyError: an id the index does not hold
        return text

    def record(self, identifier: str) -> dict[str, Any]:
        """The parsed stored record (:mod:`codec` layout) of an id, parsed once."""
        parsed = self._parsed.get(identifier)
        if parsed is None:
            parsed = self._parsed[identifier] = json.loads(self._text(identifier))
        return parsed

    def advisory(self, identifier: str) -> Advisory:
        """The decoded advisory of an id, decoded once per store."""
        advisory = self._cache.get(identifier)
        if advisory is None:
            # a precompiled match needs no parsed dict beyond this: do not keep one
            record = self._parsed.get(identifier) or json.loads(self._text(identifier))
            advisory = self._cache[identifier] = advisory_from_dict(record)
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
        """Close the file and drop what was read from it: a scan closes the store before
        the garbage collector runs again, which then has tens of thousands fewer objects
        to look at."""
        self._connection.close()
        for cache in (self._cache, self._facts, self._texts, self._parsed, self._packages):
            cache.clear()

    def __enter__(self) -> VulnerabilityStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
