"""The local intelligence cache the CLI reads: one SQLite file, no server needed.

``secloop intel update`` writes it (``$SECLOOP_INTEL_CACHE``, else
``$XDG_CACHE_HOME/secloop/intel.sqlite``, else ``~/.cache/secloop/intel.sqlite``);
scans only read it, opened read-only, so a scan never touches the network and never
creates the file. Each feed is replaced in one transaction: a failed or interrupted
update leaves the previous copy in place.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from secloop.intel.errors import IntelError
from secloop.intel.feeds import EpssFeed, FeedLimits, FeedSource, KevFeed, parse_epss, parse_kev
from secloop.intel.model import FeedInfo, IntelSnapshot, KevMark

__all__ = ["SCHEMA_VERSION", "CacheUpdate", "IntelCache", "default_cache_path", "update_cache"]

SCHEMA_VERSION = 1
_CACHE_ENV = "SECLOOP_INTEL_CACHE"
_CHUNK = 500  # bound parameters per IN (...) query, well under SQLite's limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed (
    name TEXT PRIMARY KEY, source TEXT NOT NULL, version TEXT NOT NULL, as_of TEXT,
    fetched_at TEXT NOT NULL, entries INTEGER NOT NULL, sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kev (
    cve_id TEXT PRIMARY KEY, date_added TEXT NOT NULL, due_date TEXT,
    vendor TEXT NOT NULL, product TEXT NOT NULL, name TEXT NOT NULL,
    ransomware INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss (
    cve_id TEXT PRIMARY KEY, probability REAL NOT NULL, percentile REAL NOT NULL
) WITHOUT ROWID;
"""


def default_cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$SECLOOP_INTEL_CACHE``, else ``$XDG_CACHE_HOME/secloop/intel.sqlite``, else ~/.cache."""
    env = os.environ if environ is None else environ
    if env.get(_CACHE_ENV):
        return Path(env[_CACHE_ENV]).expanduser()
    cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return cache / "secloop" / "intel.sqlite"


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class IntelCache:
    """KEV and EPSS copies in one SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, isolation_level=None)
            else:
                connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except (OSError, sqlite3.Error) as err:
            raise IntelError(f"{self.path}: cannot open the intelligence cache: {err}") from None
        try:
            yield connection
        except sqlite3.DatabaseError as err:
            raise IntelError(
                f"{self.path}: not a usable intelligence cache ({err}); "
                "delete it and run `secloop intel update`"
            ) from None
        finally:
            connection.close()

    def _check_version(self, connection: sqlite3.Connection) -> None:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version != SCHEMA_VERSION:
            raise IntelError(
                f"{self.path}: intelligence cache format {version}, expected {SCHEMA_VERSION}; "
                "run `secloop intel update` to rebuild it"
            )

    def _replace(
        self, feed: FeedInfo, table: str, sql: str, rows: Iterable[tuple[object, ...]]
    ) -> None:
        with self._connect(write=True) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                # secloop:ignore PY-SQLI-001 a fixed table name of this module, never input
                connection.execute(f"DELETE FROM {table}")  # noqa: S608 - a fixed table name
                connection.executemany(sql, rows)
                connection.execute(
                    "INSERT OR REPLACE INTO feed VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        feed.name, feed.source, feed.version,
                        feed.as_of.isoformat() if feed.as_of else None,
                        feed.fetched_at.isoformat(), feed.entries, feed.sha256,
                    ),
                )  # fmt: skip
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def store_kev(self, kev: KevFeed, info: FeedInfo) -> None:
        """Replace the KEV copy with ``kev`` (all or nothing)."""
        rows = (
            (e.cve_id, e.date_added.isoformat(), e.due_date.isoformat() if e.due_date else None,
             e.vendor, e.product, e.name, int(e.ransomware))
            for e in kev.entries
        )  # fmt: skip
        self._replace(info, "kev", "INSERT INTO kev VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def store_epss(self, epss: EpssFeed, info: FeedInfo) -> None:
        """Replace the EPSS copy with ``epss`` (all or nothing)."""
        rows = ((cve, p, pct) for cve, (p, pct) in epss.scores.items())
        self._replace(info, "epss", "INSERT INTO epss VALUES (?, ?, ?)", rows)

    def feeds(self) -> tuple[FeedInfo, ...]:
        """The loaded feeds; () when the cache does not exist."""
        if not self.exists:
            return ()
        with self._connect(write=False) as connection:
            self._check_version(connection)
            return self._feeds(connection)

    @staticmethod
    def _feeds(connection: sqlite3.Connection) -> tuple[FeedInfo, ...]:
        rows = connection.execute(
            "SELECT name, source, version, as_of, fetched_at, entries, sha256 "
            "FROM feed ORDER BY name DESC"
        ).fetchall()
        return tuple(
            FeedInfo(
                name=name, source=source, version=version,
                as_of=datetime.fromisoformat(as_of) if as_of else None,
                fetched_at=datetime.fromisoformat(fetched), entries=entries, sha256=sha,
            )
            for name, source, version, as_of, fetched, entries, sha in rows
        )  # fmt: skip

    def lookup(self, cve_ids: Iterable[str]) -> IntelSnapshot:
        """The entries of ``cve_ids`` (any advisory ids; only CVEs can match); an empty
        snapshot with no feeds when the cache does not exist."""
        if not self.exists:
            return IntelSnapshot()
        wanted = sorted({i.upper() for i in cve_ids if i.upper().startswith("CVE-")})
        kev: dict[str, KevMark] = {}
        epss: dict[str, tuple[float, float]] = {}
        with self._connect(write=False) as connection:
            self._check_version(connection)
            for chunk in _chunks(wanted):
                marks = ",".join("?" * len(chunk))
                # secloop:ignore PY-SQLI-001 '?' placeholders only; the CVE ids are bound
                for cve, added, due, ransomware in connection.execute(
                    f"SELECT cve_id, date_added, due_date, ransomware FROM kev "  # noqa: S608
                    f"WHERE cve_id IN ({marks})",
                    chunk,
                ):
                    kev[cve] = KevMark(
                        date_added=date.fromisoformat(added),
                        due_date=date.fromisoformat(due) if due else None,
                        ransomware=bool(ransomware),
                    )
                # secloop:ignore PY-SQLI-001 '?' placeholders only; the CVE ids are bound
                for cve, probability, percentile in connection.execute(
                    f"SELECT cve_id, probability, percentile FROM epss "  # noqa: S608
                    f"WHERE cve_id IN ({marks})",
                    chunk,
                ):
                    epss[cve] = (probability, percentile)
            feeds = self._feeds(connection)
        return IntelSnapshot(kev=kev, epss=epss, feeds=feeds)


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheUpdate:
    """What one feed update stored: the feed as loaded and how many rows it skipped."""

    info: FeedInfo
    skipped: int


def update_cache(
    cache: IntelCache,
    *,
    kev: FeedSource | None,
    epss: FeedSource | None,
    limits: FeedLimits | None = None,
) -> list[CacheUpdate]:
    """Load the feeds asked for into ``cache``, KEV first; each is parsed completely
    before it replaces the stored copy, so a bad feed changes nothing."""
    limits = limits or FeedLimits()
    done: list[CacheUpdate] = []
    if kev is not None:
        where, data = kev.load(limits)
        kev_feed = parse_kev(data, where, limits)
        info = _info(
            "kev", where, data,
            version=kev_feed.version, as_of=kev_feed.as_of, entries=len(kev_feed.entries),
        )  # fmt: skip
        cache.store_kev(kev_feed, info)
        done.append(CacheUpdate(info=info, skipped=kev_feed.skipped))
    if epss is not None:
        where, data = epss.load(limits)
        epss_feed = parse_epss(data, where, limits)
        info = _info(
            "epss", where, data,
            version=epss_feed.model_version, as_of=epss_feed.as_of, entries=len(epss_feed.scores),
        )  # fmt: skip
        cache.store_epss(epss_feed, info)
        done.append(CacheUpdate(info=info, skipped=epss_feed.skipped))
    return done


def _info(
    name: str, where: str, data: bytes, *, version: str, as_of: datetime | None, entries: int
) -> FeedInfo:
    return FeedInfo(
        name=name, source=where, version=version, as_of=as_of,
        fetched_at=datetime.now(UTC), entries=entries, sha256=hashlib.sha256(data).hexdigest(),
    )  # fmt: skip
