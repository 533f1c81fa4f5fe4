"""The local intelligence cache: written from real-format feed files, read back by CVE."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.intel import intel_group
from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.severity import Severity
from secloop.intel import (
    FeedSource,
    IntelCache,
    IntelError,
    IntelSnapshot,
    KevMark,
    default_cache_path,
    update_cache,
    vulnerability_ids,
)
from tests.unit.intel.feed_files import write_feeds


def _loaded(tmp_path: Path) -> IntelCache:
    kev, epss = write_feeds(tmp_path / "feeds")
    cache = IntelCache(tmp_path / "cache" / "intel.sqlite")
    done = update_cache(cache, kev=FeedSource(file=kev), epss=FeedSource(file=epss))
    assert [(d.info.name, d.info.entries, d.skipped) for d in done] == [
        ("kev", 2, 1),
        ("epss", 3, 1),
    ]
    return cache


def test_update_then_lookup_by_cve(tmp_path: Path) -> None:
    cache = _loaded(tmp_path)
    snapshot = cache.lookup(["cve-2019-10906", "GHSA-462w-v97r-4m45", "CVE-2021-44228"])
    assert snapshot.kev["CVE-2019-10906"] == KevMark(
        date_added=date(2024, 1, 9), due_date=date(2024, 1, 30), ransomware=False
    )
    assert snapshot.kev["CVE-2021-44228"].ransomware is True
    assert snapshot.epss == {
        "CVE-2019-10906": (0.01231, 0.78411),
        "CVE-2021-44228": (0.94358, 0.99957),
    }
    feeds = {f.name: f for f in snapshot.feeds}
    assert feeds["kev"].version == "2025.03.14"
    assert feeds["kev"].as_of == datetime(2025, 3, 14, 17, 1, 55, 402100, tzinfo=UTC)
    assert feeds["epss"].version == "v2025.03.14"
    assert len(feeds["epss"].sha256) == 64
    assert cache.feeds() == snapshot.feeds


def test_lookup_in_chunks_and_without_a_cache(tmp_path: Path) -> None:
    cache = _loaded(tmp_path)
    many = [f"CVE-2000-{n:05d}" for n in range(1200)] + ["CVE-2020-28493"]
    assert cache.lookup(many).epss == {"CVE-2020-28493": (0.00421, 0.61532)}
    missing = IntelCache(tmp_path / "nowhere.sqlite")
    assert missing.lookup(["CVE-2019-10906"]) == IntelSnapshot()
    assert missing.feeds() == ()
    assert not (tmp_path / "nowhere.sqlite").exists()  # reading never creates it


def test_a_bad_feed_keeps_the_previous_copy(tmp_path: Path) -> None:
    cache = _loaded(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text('{"vulnerabilities": 3}', encoding="utf-8")
    with pytest.raises(IntelError, match="no `vulnerabilities` list"):
        update_cache(cache, kev=FeedSource(file=broken), epss=None)
    assert "CVE-2019-10906" in cache.lookup(["CVE-2019-10906"]).kev


def test_a_foreign_or_newer_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not sqlite at all, but long enough to have a header" * 4)
    with pytest.raises(IntelError, match=r"not a usable intelligence cache.*intel update"):
        IntelCache(junk).feeds()
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(IntelError, match="format 99, expected 1"):
        IntelCache(newer).lookup(["CVE-2019-10906"])


def test_default_path_follows_the_environment(tmp_path: Path) -> None:
    assert default_cache_path({"SECLOOP_INTEL_CACHE": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    assert default_cache_path({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "secloop" / "intel.sqlite"
    )
    assert default_cache_path({}) == Path.home() / ".cache" / "secloop" / "intel.sqlite"


def _vulnerability(advisory: str, *aliases: str) -> Finding:
    return Finding(
        kind=FindingKind.VULNERABILITY, rule_id=advisory, severity=Severity.HIGH,
        title="t", message="m", scanner="vuln", fingerprint=advisory,
        vulnerability=VulnerabilityDetail(
            advisory_id=advisory, aliases=aliases, installed_version="1"
        ),
    )  # fmt: skip


def test_signals_match_aliases_and_take_the_worst_cve(tmp_path: Path) -> None:
    cache = _loaded(tmp_path)
    two_cves = _vulnerability("GHSA-x", "CVE-2020-28493", "CVE-2021-44228")
    plain = _vulnerability("PYSEC-1")
    secret = Finding(
        kind=FindingKind.SECRET, rule_id="S", severity=Severity.HIGH, title="t", message="m",
        scanner="secret", fingerprint="s",
    )  # fmt: skip
    assert vulnerability_ids(secret) == ()
    ids = [i for f in (two_cves, plain, secret) for i in vulnerability_ids(f)]
    signals = cache.lookup(ids).signals([two_cves, plain, secret])
    assert list(signals) == ["GHSA-x"]
    signal = signals["GHSA-x"]
    assert (signal.kev_cve, signal.epss_cve, signal.epss) == (
        "CVE-2021-44228",
        "CVE-2021-44228",
        0.94358,
    )
    only_epss = IntelSnapshot(epss={"CVE-1": (0.2, 0.5)}).signal_for(["CVE-1"])
    assert only_epss is not None
    assert not only_epss.in_kev
    assert only_epss.epss == 0.2


def test_cli_update_and_status_use_the_local_cache(tmp_path: Path) -> None:
    kev, epss = write_feeds(tmp_path / "feeds")
    cache = tmp_path / "c" / "intel.sqlite"
    runner = CliRunner()
    empty = runner.invoke(intel_group, ["status", "--cache", str(cache)])
    assert empty.exit_code == 0
    assert f"no intelligence loaded in {cache}" in empty.output
    done = runner.invoke(
        intel_group,
        ["update", "--cache", str(cache), "--kev-file", str(kev), "--epss-file", str(epss)],
    )
    assert done.exit_code == 0, done.output
    assert f"kev: 2 entries (as of 2025-03-14T17:01:55.402100+00:00; 1 skipped) from {kev}" in (
        done.output
    )
    assert f"stored in {cache}" in done.output
    status = runner.invoke(intel_group, ["status"], env={"SECLOOP_INTEL_CACHE": str(cache)})
    assert "kev: 2 entries, as of 2025-03-14" in status.output
    assert "epss: 3 entries, as of 2025-03-14T00:00:00+00:00" in status.output
    assert not (tmp_path / "server.db").exists()
