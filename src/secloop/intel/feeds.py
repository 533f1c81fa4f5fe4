"""Downloading and parsing the KEV catalogue (JSON) and the EPSS daily file (CSV, gzip).

Both feeds are untrusted input from the network. This module sits below the policy and
output layers so that the CLI gate, the local cache and the findings server all parse
the feeds the same way. Downloads are capped in bytes and
time, redirects are bounded, and the gzip stream is decompressed with a cap of its
own (a small file must not expand into gigabytes). Parsing is strict where a mistake
would mis-rank findings (ids, dates, probabilities in [0, 1]) and counts what it
skipped instead of failing on one bad row of a quarter-million. Nothing here touches
a database: a feed that fails to parse leaves every stored copy as it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from secloop.intel.errors import IntelError

__all__ = [
    "DEFAULT_EPSS_URL",
    "DEFAULT_KEV_URL",
    "EpssFeed",
    "FeedLimits",
    "FeedSource",
    "IntelError",
    "KevEntry",
    "KevFeed",
    "fetch",
    "parse_epss",
    "parse_kev",
]

DEFAULT_KEV_URL = (
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
)
DEFAULT_EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
MIB = 1024 * 1024
_CVE = re.compile(r"CVE-\d{4}-\d{4,}")
_EPSS_META = re.compile(r"score_date:(?P<date>[0-9T:+\-.Z]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedLimits:
    """Caps for one feed download: bytes on the wire, bytes after gzip, seconds, rows."""

    max_download_bytes: int = 64 * MIB
    max_decompressed_bytes: int = 256 * MIB
    timeout_seconds: float = 60.0
    max_rows: int = 2_000_000
    max_redirects: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class KevEntry:
    cve_id: str
    date_added: date
    due_date: date | None
    vendor: str
    product: str
    name: str
    ransomware: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class KevFeed:
    version: str
    as_of: datetime | None
    entries: tuple[KevEntry, ...]
    skipped: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EpssFeed:
    model_version: str
    as_of: datetime | None
    scores: dict[str, tuple[float, float]]  # CVE -> (probability, percentile)
    skipped: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSource:
    """Where one feed comes from: a URL (network, on request only) or a local file."""

    url: str | None = None
    file: Path | None = None

    def load(self, limits: FeedLimits) -> tuple[str, bytes]:
        """``(where, bytes)``: the file when one is given, else a bounded download."""
        if self.file is not None:
            try:
                size = self.file.stat().st_size
                if size > limits.max_download_bytes:
                    raise IntelError(f"{self.file}: larger than the download limit")
                return str(self.file), self.file.read_bytes()
            except OSError as err:
                raise IntelError(f"{self.file}: cannot read: {err.strerror}") from None
        if self.url is None:
            raise IntelError("a feed needs a URL or a file")
        return self.url, fetch(self.url, limits)


def fetch(url: str, limits: FeedLimits) -> bytes:
    """GET ``url`` (http or https only) into memory, refusing more than the byte cap."""
    # httpx is a base dependency but only imported here: scans never touch the network.
    import httpx

    if not url.lower().startswith(("https://", "http://")):
        raise IntelError(f"{url}: only http(s) URLs can be fetched; use a file for local data")
    try:
        with (
            httpx.Client(
                timeout=limits.timeout_seconds,
                follow_redirects=True,
                max_redirects=limits.max_redirects,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise IntelError(f"{url}: HTTP {response.status_code}")
            return _read_capped(url, response.iter_bytes(), limits.max_download_bytes)
    except httpx.HTTPError as err:
        raise IntelError(f"{url}: download failed: {err}") from None


def _read_capped(url: str, chunks: Any, cap: int) -> bytes:
    buffer = bytearray()
    for chunk in chunks:
        buffer.extend(chunk)
        if len(buffer) > cap:
            raise IntelError(f"{url}: larger than the {cap // MIB} MiB download limit")
    return bytes(buffer)


def _date(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        day = _date(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _kev_entry(item: object) -> KevEntry | None:
    if not isinstance(item, dict):
        return None
    cve, added = str(item.get("cveID", "")).strip().upper(), _date(item.get("dateAdded"))
    if not _CVE.fullmatch(cve) or added is None:
        return None
    return KevEntry(
        cve_id=cve,
        date_added=added,
        due_date=_date(item.get("dueDate")),
        vendor=str(item.get("vendorProject", ""))[:200],
        product=str(item.get("product", ""))[:200],
        name=str(item.get("vulnerabilityName", ""))[:500],
        ransomware=str(item.get("knownRansomwareCampaignUse", "")).lower() == "known",
    )


def parse_kev(data: bytes, source: str, limits: FeedLimits) -> KevFeed:
    """The KEV catalogue: ``{"catalogVersion", "dateReleased", "vulnerabilities": [...]}``."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise IntelError(f"{source}: not a KEV JSON catalogue: {err}") from None
    items = document.get("vulnerabilities") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise IntelError(f"{source}: not a KEV JSON catalogue: no `vulnerabilities` list")
    if len(items) > limits.max_rows:
        raise IntelError(f"{source}: more than {limits.max_rows} KEV entries")
    entries = {e.cve_id: e for item in items if (e := _kev_entry(item)) is not None}
    return KevFeed(
        version=str(document.get("catalogVersion", ""))[:100],
        as_of=_timestamp(document.get("dateReleased")),
        entries=tuple(entries.values()),
        skipped=len(items) - len(entries),
    )


def _gunzip(data: bytes, source: str, cap: int) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data  # already plain CSV (a local copy someone decompressed)
    inflater = zlib.decompressobj(wbits=31)
    try:
        text = inflater.decompress(data, cap + 1)
    except zlib.error as err:
        raise IntelError(f"{source}: corrupt gzip: {err}") from None
    if len(text) > cap or inflater.unconsumed_tail:
        raise IntelError(f"{source}: decompresses to more than {cap // MIB} MiB")
    if not inflater.eof:
        raise IntelError(f"{source}: truncated gzip stream")
    return text


def _epss_row(row: list[str]) -> tuple[str, float, float] | None:
    if len(row) < 3 or not _CVE.fullmatch(row[0].strip().upper()):
        return None
    try:
        probability, percentile = float(row[1]), float(row[2])
    except ValueError:
        return None
    if not (0.0 <= probability <= 1.0 and 0.0 <= percentile <= 1.0):
        return None
    return row[0].strip().upper(), probability, percentile


def parse_epss(data: bytes, source: str, limits: FeedLimits) -> EpssFeed:
    """``#model_version:...,score_date:...`` then ``cve,epss,percentile`` rows."""
    text = _gunzip(data, source, limits.max_decompressed_bytes).decode("utf-8", "replace")
    lines = io.StringIO(text)
    first = lines.readline()
    meta = first if first.startswith("#") else ""
    header = lines.readline() if meta else first
    if [h.strip().lower() for h in header.split(",")][:3] != ["cve", "epss", "percentile"]:
        raise IntelError(f"{source}: not an EPSS CSV file (header {header.strip()[:80]!r})")
    scores: dict[str, tuple[float, float]] = {}
    skipped = 0
    for row in csv.reader(lines):
        parsed = _epss_row(row)
        if parsed is None:
            skipped += 1
            continue
        scores[parsed[0]] = (parsed[1], parsed[2])
        if len(scores) > limits.max_rows:
            raise IntelError(f"{source}: more than {limits.max_rows} EPSS rows")
    version = meta.split(",")[0].removeprefix("#model_version:").strip()[:100] if meta else ""
    found = _EPSS_META.search(meta)
    as_of = _timestamp(found.group("date").replace("+0000", "+00:00")) if found else None
    return EpssFeed(model_version=version, as_of=as_of, scores=scores, skipped=skipped)
