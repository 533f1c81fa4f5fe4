"""``db update``: download OSV records from a bucket-layout mirror and rebuild the index.

The layout is OSV's public bucket: ``<base>/<ecosystem>/all.zip`` holds every record
of an ecosystem, ``<base>/<ecosystem>/modified_id.csv`` lists ``<modified>,<id>``
newest first, and ``<base>/<ecosystem>/<id>.json`` is one record. Any mirror with
that layout works (``--base-url``, ``$SECLOOP_DB_URL``), including a local one for
air-gapped use.

Steps, per ecosystem:

1. incremental when the database came from the same base URL, already holds the
   ecosystem, and is younger than ``max_incremental_age``: stream ``modified_id.csv``
   only down to the database's as-of time (one small request when nothing changed),
   then fetch each newer record; too many changes fall back to (2);
2. otherwise download ``all.zip`` to a temporary file, capped in bytes and time,
   and verify it (the length the server announced, every member's CRC) before a
   record is read from it;
3. only when every download succeeded, build a new database from the old records
   plus the new ones (:func:`~secloop.vulndb.store.build_database` switches files
   atomically), so a failed update leaves the old database working.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

from secloop.core.advisory import Advisory
from secloop.vulndb.codec import advisory_from_json
from secloop.vulndb.errors import ImportSourceError, RecordError, VulnDBError
from secloop.vulndb.osv import parse_record
from secloop.vulndb.sources import ImportLimits, iter_records
from secloop.vulndb.store import SCHEMA_VERSION, BuildReport, build_database, default_db_path

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ECOSYSTEMS",
    "UpdateError",
    "UpdateLimits",
    "UpdateOutcome",
    "base_url_from",
    "update_database",
]

DEFAULT_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
#: The language ecosystems secloop's lockfile analyzers read; distributions on request.
DEFAULT_ECOSYSTEMS = ("PyPI", "npm", "Go", "crates.io", "RubyGems", "Packagist", "Maven", "NuGet")
_URL_ENV = "SECLOOP_DB_URL"
_SOURCE_PREFIX = "osv-bucket:"
MIB = 1024 * 1024


class UpdateError(VulnDBError):
    """A download failed or was corrupt; the old database is untouched."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateLimits:
    """Bounds on what an update downloads, with units in the names."""

    max_zip_bytes: int = 2048 * MIB
    max_record_bytes: int = 16 * MIB
    max_csv_bytes: int = 256 * MIB
    max_incremental_records: int = 2000  # more changes than this: download all.zip
    max_incremental_age: timedelta = timedelta(days=7)
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0  # between two bytes
    max_download_seconds: float = 1800.0  # a whole file


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateOutcome:
    report: BuildReport | None  # None: nothing changed, the database was not rebuilt
    modes: Mapping[str, str]  # ecosystem -> "full" | "incremental"
    changed: int  # records downloaded
    downloaded_bytes: int
    requests: int
    problems: tuple[str, ...]
    seconds: float


@dataclass(slots=True)
class _Session:
    """One update's HTTP client and counters."""

    client: httpx.Client
    base_url: str
    limits: UpdateLimits
    requests: int = 0
    downloaded: int = 0
    problems: list[str] = field(default_factory=list)

    def url(self, *parts: str) -> str:
        return "/".join([self.base_url.rstrip("/"), *(quote(p, safe="") for p in parts)])


def base_url_from(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``--base-url``, else ``$SECLOOP_DB_URL``, else the public OSV bucket."""
    env = os.environ if environ is None else environ
    return option or env.get(_URL_ENV) or DEFAULT_BASE_URL


def _source_text(base_url: str, ecosystems: Iterable[str]) -> str:
    return f"{_SOURCE_PREFIX}{base_url} ecosystems={','.join(sorted(ecosystems))}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Existing:
    as_of: datetime | None
    base_url: str
    ecosystems: frozenset[str]
    current: bool  # built with this secloop's layout (schema version)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _existing(path: Path) -> _Existing | None:
    """What an earlier update recorded, if the database came from a bucket at all."""
    if not path.is_file():
        return None
    try:
        with contextlib.closing(_read_only(path)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return None  # a corrupt database is replaced by a full download
    source = str(meta.get("source", ""))
    if not source.startswith(_SOURCE_PREFIX) or " ecosystems=" not in source:
        return None
    base_url, ecosystems = source.removeprefix(_SOURCE_PREFIX).rsplit(" ecosystems=", 1)
    as_of = datetime.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    return _Existing(
        as_of=as_of,
        base_url=base_url,
        ecosystems=frozenset(ecosystems.split(",")),
        current=meta.get("schema_version") == SCHEMA_VERSION,
    )


def _old_records(path: Path) -> Iterator[Advisory]:
    with contextlib.closing(_read_only(path)) as db:
        for (record,) in db.execute("SELECT record FROM advisories"):
            yield advisory_from_json(record)


def _stream(session: _Session, url: str, sink: Callable[[bytes], bool], cap: int) -> None:
    """GET ``url`` into ``sink`` (which returns False to stop early), bounded in bytes
    and time; UpdateError naming the URL on any failure or a short body."""
    started = time.monotonic()
    session.requests += 1
    received = 0
    try:
        with session.client.stream("GET", url) as response:
            if response.status_code != 200:
                raise UpdateError(f"{url}: HTTP {response.status_code}")
            expected = response.headers.get("content-length")
            for chunk in response.iter_bytes():
                received += len(chunk)
                session.downloaded += len(chunk)
                if received > cap:
                    raise UpdateError(f"{url}: larger than {cap} bytes (limit)")
                if time.monotonic() - started > session.limits.max_download_seconds:
                    raise UpdateError(f"{url}: took longer than the download limit")
                if not sink(chunk):
                    return
            if expected is not None and int(expected) != received:
                raise UpdateError(f"{url}: truncated ({received} of {expected} bytes)")
    except httpx.TimeoutException:
        raise UpdateError(f"{url}: timed out") from None
    except httpx.HTTPError as err:
        raise UpdateError(f"{url}: download failed ({type(err).__name__}: {err})") from None


def _full(session: _Session, ecosystem: str, workdir: Path) -> list[Advisory]:
    """Step (2): all.zip to a temporary file, verified, then read with limits."""
    url = session.url(ecosystem, "all.zip")
    target = workdir / f"{quote(ecosystem, safe='')}.zip"
    with target.open("wb") as handle:
        _stream(session, url, lambda chunk: handle.write(chunk) >= 0, session.limits.max_zip_bytes)
    try:
        with zipfile.ZipFile(target) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise UpdateError(f"{url}: not a valid zip archive ({err})") from None
    if bad is not None:
        raise UpdateError(f"{url}: corrupt member {bad} (CRC mismatch)")
    limits = ImportLimits(max_record_bytes=session.limits.max_record_bytes)
    advisories: list[Advisory] = []
    try:
        for item in iter_records(target, limits):
            if isinstance(item, RecordError):
                session.problems.append(f"{ecosystem}: {item}")
            else:
                advisories.append(item)
    except ImportSourceError as err:
        raise UpdateError(f"{url}: {err}") from None
    return advisories


def _changed_ids(session: _Session, ecosystem: str, as_of: datetime) -> list[str] | None:
    """Step (1): ids modified after ``as_of``; None when there are too many."""
    url = session.url(ecosystem, "modified_id.csv")
    pending = bytearray()
    changed: list[str] = []
    state = {"overflow": False}

    def take(chunk: bytes) -> bool:
        pending.extend(chunk)
        *lines, rest = bytes(pending).split(b"\n")
        pending[:] = rest
        for line in lines:
            if not _keep_line(line, as_of, changed):
                return False  # sorted newest first: the rest is older
            if len(changed) > session.limits.max_incremental_records:
                state["overflow"] = True
                return False
        return True

    _stream(session, url, take, session.limits.max_csv_bytes)
    if pending.strip():
        _keep_line(bytes(pending), as_of, changed)
    return None if state["overflow"] else changed


def _keep_line(line: bytes, as_of: datetime, changed: list[str]) -> bool:
    """Add the id of a ``<modified>,<id>`` line newer than ``as_of``; False once older."""
    text = line.decode("utf-8", "replace").strip()
    if not text:
        return True
    stamp, _, identifier = text.partition(",")
    try:
        modified = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise UpdateError(f"modified_id.csv: unreadable line {text[:80]!r}") from None
    if modified <= as_of:
        return False
    changed.append(identifier.rsplit("/", 1)[-1])
    return True


def _collector(chunks: list[bytes]) -> Callable[[bytes], bool]:
    def take(chunk: bytes) -> bool:
        chunks.append(chunk)
        return True

    return take


def _fetch_records(session: _Session, ecosystem: str, ids: Sequence[str]) -> list[Advisory]:
    advisories: list[Advisory] = []
    for identifier in ids:
        chunks: list[bytes] = []
        url = session.url(ecosystem, f"{identifier}.json")
        _stream(session, url, _collector(chunks), session.limits.max_record_bytes)
        try:
            data = b"".join(chunks)
            advisories.append(parse_record(data, source=f"{ecosystem}/{identifier}.json"))
        except RecordError as err:
            session.problems.append(str(err))
    return advisories


def _client(limits: UpdateLimits) -> httpx.Client:
    timeout = httpx.Timeout(limits.read_timeout_seconds, connect=limits.connect_timeout_seconds)
    return httpx.Client(timeout=timeout, follow_redirects=True, trust_env=True)


def update_database(
    db_path: Path | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    limits: UpdateLimits | None = None,
    force_full: bool = False,
    client: httpx.Client | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> UpdateOutcome:
    """Bring the database at ``db_path`` up to date with ``base_url`` (see the steps above)."""
    started = time.perf_counter()
    path = db_path or default_db_path()
    limits = limits or UpdateLimits()
    wanted = tuple(dict.fromkeys(ecosystems))
    if not wanted:
        raise UpdateError("no ecosystem to update; name at least one with --ecosystem")
    existing = None if force_full else _existing(path)
    if existing is not None and existing.base_url != base_url:
        existing = None
    with contextlib.ExitStack() as stack:
        http = client or stack.enter_context(_client(limits))
        session = _Session(client=http, base_url=base_url, limits=limits)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="secloop-update-")))
        fresh, modes = _download(session, wanted, existing, workdir, clock)
        kept = set(wanted) | (set(existing.ecosystems) if existing else set())
        report = _rebuild(path, existing, fresh, modes, source=_source_text(base_url, kept))
    return UpdateOutcome(
        report=report,
        modes=modes,
        changed=sum(len(v) for v in fresh.values()),
        downloaded_bytes=session.downloaded,
        requests=session.requests,
        problems=tuple(session.problems),
        seconds=time.perf_counter() - started,
    )


def _download(
    session: _Session,
    wanted: Sequence[str],
    existing: _Existing | None,
    workdir: Path,
    clock: Callable[[], datetime],
) -> tuple[dict[str, list[Advisory]], dict[str, str]]:
    fresh: dict[str, list[Advisory]] = {}
    modes: dict[str, str] = {}
    for ecosystem in wanted:
        ids: list[str] | None = None
        if (
            existing is not None
            and existing.as_of is not None
            and ecosystem in existing.ecosystems
            and clock() - existing.as_of <= session.limits.max_incremental_age
        ):
            ids = _changed_ids(session, ecosystem, existing.as_of)
        if ids is None:
            modes[ecosystem] = "full"
            fresh[ecosystem] = _full(session, ecosystem, workdir)
        else:
            modes[ecosystem] = "incremental"
            fresh[ecosystem] = _fetch_records(session, ecosystem, ids)
    return fresh, modes


def _rebuild(
    path: Path,
    existing: _Existing | None,
    fresh: Mapping[str, list[Advisory]],
    modes: Mapping[str, str],
    *,
    source: str,
) -> BuildReport | None:
    """Step (3). Old records stay unless their ecosystem was downloaded in full (then
    the new all.zip is the whole truth: records deleted upstream go too)."""
    full = {e for e, mode in modes.items() if mode == "full"}
    current = existing is None or existing.current
    if current and not full and not any(fresh.values()):
        return None  # nothing changed: keep the file (and its as-of time) as it is
    # else rebuilt, even when nothing changed upstream if an older secloop built it
    old: list[Advisory] = []
    if existing is not None:
        old = [
            a
            for a in _old_records(path)
            if not a.affected or not all(_base(p.ecosystem) in full for p in a.affected)
        ]
    new = [a for records in fresh.values() for a in records]
    return build_database(path, [*old, *new], source=source)


def _base(ecosystem: str) -> str:
    return ecosystem.split(":", 1)[0]
