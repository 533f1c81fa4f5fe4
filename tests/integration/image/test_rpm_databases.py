"""rpm databases made by Debian's real rpm: packages built with rpmbuild, installed
with ``rpm --justdb`` into its SQLite store; the same headers in a Berkeley DB file
written by libdb's db5.3_load that rpm's own ``bdb_ro`` backend reads back; and in an
NDB file (Debian's rpm is built without NDB, so that one comes from the writer that
follows rpm's rpmpkg.c). secloop must list exactly what ``rpm -qa`` lists, also from
inside an image."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from secloop.core.package import PackageLocation
from secloop.core.result import ScanResult, Skipped, SkipReason
from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.opener import LocalImageOpener
from secloop.scan.artifact.rootfs import RootfsArtifact
from secloop.scan.engine import scan_artifact
from secloop.scan.interface import Artifact, FileContent, ScanLimits
from secloop.scan.inventory.os import SystemArtifact, detect_operating_system, system_analyzers
from secloop.scan.inventory.os.rpm import RpmStore, parse_rpmdb
from tests.unit.image.builders import Image, Layer, file, write_oci_layout
from tests.unit.image.rpmdb_writers import berkeley_db, ndb

pytestmark = pytest.mark.integration

SPEC = """\
Name: demo
Version: 1.2.3
Release: 4.el8
Epoch: 2
Summary: demo tool
License: MIT
BuildArch: noarch
%description
A demo.
%package libs
Summary: demo libraries
License: GPL-2.0-or-later
%description libs
Libraries.
%files
%files libs
"""
SPEC_OTHER = """\
Name: zlib-ng
Version: 2.1.6
Release: 1.el8
Summary: zlib
License: Zlib
BuildArch: noarch
%description
zlib.
%files
"""
QUERY = "%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{SOURCERPM}\t%{LICENSE}\n"
ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="8.9"\nPRETTY_NAME="Rocky Linux 8.9"\n'


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


def _rpm_qa(dbpath: Path, *backend: str) -> set[tuple[str, str, str, str]]:
    listed = _run("rpm", "--dbpath", str(dbpath), *backend, "-qa", "--qf", QUERY)
    rows = {tuple(line.split("\t")) for line in listed.splitlines()}
    # EPOCHNUM is 0 without an Epoch; secloop writes no "0:", as rpm -q does not
    return {(n, v.removeprefix("0:"), s.rsplit("-", 2)[0], lic) for n, v, s, lic in rows}


@pytest.fixture(scope="module")
def rpm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite rpmdb with three packages (one with an epoch, a sub-package)."""
    for tool in ("rpm", "rpmbuild"):
        if shutil.which(tool) is None:
            pytest.skip("needs rpm and rpmbuild (apt-get install rpm)")
    work = tmp_path_factory.mktemp("rpm")
    for name, spec in (("demo", SPEC), ("zlib-ng", SPEC_OTHER)):
        (work / f"{name}.spec").write_text(spec)
        _run("rpmbuild", "-bb", "--define", f"_topdir {work / 'top'}", str(work / f"{name}.spec"))
    rpms = sorted(str(p) for p in (work / "top/RPMS").rglob("*.rpm"))
    db = work / "db"
    _run("rpm", "--dbpath", str(db), "--initdb")
    _run("rpm", "--dbpath", str(db), "-i", "--justdb", "--nodeps", "--nosignature", *rpms)
    return db


def _headers(db: Path) -> dict[int, bytes]:
    with sqlite3.connect(db / "rpmdb.sqlite") as connection:
        rows = connection.execute("SELECT hnum, blob FROM Packages").fetchall()
    connection.close()
    return {int(number): bytes(blob) for number, blob in rows}


def _ours(store: RpmStore, data: bytes) -> set[tuple[str, str, str, str]]:
    location = PackageLocation(path=f"var/lib/rpm/{store.value}")
    return {
        (p.name, p.version, p.source_name or "", p.license or "")
        for p in parse_rpmdb(store, data, "Rocky Linux:8", location)
    }


def test_every_store_lists_what_rpm_lists(rpm_db: Path, tmp_path: Path) -> None:
    expected = _rpm_qa(rpm_db)
    assert {(n, v) for n, v, _, _ in expected} == {
        ("demo", "2:1.2.3-4.el8"),
        ("demo-libs", "2:1.2.3-4.el8"),
        ("zlib-ng", "2.1.6-1.el8"),
    }
    assert _ours(RpmStore.SQLITE, (rpm_db / "rpmdb.sqlite").read_bytes()) == expected
    headers = _headers(rpm_db)
    bdb_dir = tmp_path / "bdb"
    bdb_dir.mkdir()
    bdb = berkeley_db(headers, bdb_dir / "Packages")
    assert _rpm_qa(bdb_dir, "--define", "_db_backend bdb_ro") == expected  # rpm reads it
    assert _ours(RpmStore.BERKELEY_DB, bdb) == expected
    small_pages = berkeley_db(headers, bdb_dir / "Packages", page_size=512, big_endian=True)
    assert _rpm_qa(bdb_dir, "--define", "_db_backend bdb_ro") == expected
    assert _ours(RpmStore.BERKELEY_DB, small_pages) == expected
    assert _ours(RpmStore.NDB, ndb(headers)) == expected


def test_berkeley_db_inside_an_image(rpm_db: Path, tmp_path: Path) -> None:
    bdb = berkeley_db(_headers(rpm_db), tmp_path / "Packages")
    base = Layer([file("etc/os-release", ROCKY), file("var/lib/rpm/Packages", bdb)])
    layout = write_oci_layout(tmp_path / "oci", [Image([base])])
    opener = LocalImageOpener()
    artifact = opener.open(str(layout), limits=ScanLimits(), excludes=(), use_gitignore=False)
    assert isinstance(artifact, ImageArtifact)
    packages = set()
    with artifact:
        release = detect_operating_system(artifact)
        analyzers = system_analyzers(release)
        for entry in artifact.walk():
            if isinstance(entry, Skipped):
                continue
            for analyzer in analyzers:
                if analyzer.applies_to(entry):
                    output = analyzer.analyze(FileContent(entry=entry, data=artifact.read(entry)))
                    packages |= {(p.name, p.version, p.ecosystem) for p in output.packages}
    assert packages == {
        ("demo", "2:1.2.3-4.el8", "Rocky Linux:8"),
        ("demo-libs", "2:1.2.3-4.el8", "Rocky Linux:8"),
        ("zlib-ng", "2.1.6-1.el8", "Rocky Linux:8"),
    }


# -- databases past the walk's size limit, and the SQLite store's write-ahead log -------

PADDING = 11 * 1024 * 1024  # past the default 10 MiB --max-file-size


def _scan_packages(artifact: Artifact) -> tuple[set[tuple[str, str]], ScanResult]:
    """What the real engine lists, with the analyzers the CLI builds for a system."""
    assert isinstance(artifact, SystemArtifact)
    release = detect_operating_system(artifact)
    result = scan_artifact(
        artifact,
        analyzers=system_analyzers(release, artifact),
        scanners=(),
        collect_inventory=True,
    )
    return {(p.name, p.version) for p in result.packages}, result


@pytest.fixture(scope="module")
def padded_db(rpm_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real rpm database grown past 10 MiB as a big system's is (a table of zeros
    rpm does not read), still a database rpm reads."""
    db = tmp_path_factory.mktemp("padded") / "rpm"
    shutil.copytree(rpm_db, db)
    with sqlite3.connect(db / "rpmdb.sqlite") as connection:
        connection.execute("CREATE TABLE padding (b BLOB)")
        connection.execute("INSERT INTO padding VALUES (zeroblob(?))", (PADDING,))
    connection.close()
    assert (db / "rpmdb.sqlite").stat().st_size > ScanLimits().max_file_bytes
    return db


def _rpm_rootfs(directory: Path, db: Path, *, wal: bool = True) -> Path:
    (directory / "etc").mkdir(parents=True)
    (directory / "etc/os-release").write_text(ROCKY)
    (directory / "var/lib/rpm").mkdir(parents=True)
    names = ("rpmdb.sqlite", "rpmdb.sqlite-wal") if wal else ("rpmdb.sqlite",)
    for name in names:
        if (db / name).exists():
            shutil.copy(db / name, directory / "var/lib/rpm" / name)
    return directory


def test_a_database_past_the_file_size_limit_is_read_in_a_root_and_an_image(
    padded_db: Path, tmp_path: Path
) -> None:
    expected = {(n, v) for n, v, _, _ in _rpm_qa(padded_db)}
    assert len(expected) == 3
    root = _rpm_rootfs(tmp_path / "root", padded_db)
    found, result = _scan_packages(RootfsArtifact(root, limits=ScanLimits(), name="root"))
    assert found == expected
    assert "var/lib/rpm/rpmdb.sqlite" in {c.path for c in result.scanned}
    data = (padded_db / "rpmdb.sqlite").read_bytes()
    base = Layer([file("etc/os-release", ROCKY), file("var/lib/rpm/rpmdb.sqlite", data)])
    layout = write_oci_layout(tmp_path / "oci", [Image([base])])
    opener = LocalImageOpener()
    with opener.open(str(layout), limits=ScanLimits(), excludes=(), use_gitignore=False) as image:
        found, _ = _scan_packages(image)
    assert found == expected


def test_a_database_past_its_own_allowance_is_reported_not_read(
    padded_db: Path, tmp_path: Path
) -> None:
    root = _rpm_rootfs(tmp_path / "root", padded_db)
    limits = ScanLimits(max_claimed_file_bytes=PADDING // 2)
    found, result = _scan_packages(RootfsArtifact(root, limits=limits, name="root"))
    assert found == set()
    skipped = [s for s in result.coverage if s.path == "var/lib/rpm/rpmdb.sqlite"]
    assert [(s.reason, s.detail) for s in skipped if isinstance(s, Skipped)] == [
        (
            SkipReason.TOO_LARGE,
            f"{(root / 'var/lib/rpm/rpmdb.sqlite').stat().st_size} bytes, "
            f"past the {PADDING // 2} byte limit of a package database",
        )
    ]
    # without an analyzer claiming it, the walk's own limit applies as before
    other = tmp_path / "other"
    (other / "var/lib/rpm").mkdir(parents=True)
    shutil.copy(padded_db / "rpmdb.sqlite", other / "var/lib/rpm/big.sqlite")
    _, result = _scan_packages(RootfsArtifact(other, limits=ScanLimits(), name="other"))
    big = [c for c in result.coverage if c.path == "var/lib/rpm/big.sqlite"]
    assert [(c.reason, c.detail) for c in big if isinstance(c, Skipped)] == [
        (
            SkipReason.TOO_LARGE,
            f"{(padded_db / 'rpmdb.sqlite').stat().st_size} bytes, "
            f"limit {ScanLimits().max_file_bytes}",
        )
    ]
    assert len(big) == 1


def test_packages_still_in_the_write_ahead_log_are_listed(rpm_db: Path, tmp_path: Path) -> None:
    """A package is removed and checkpointed, then added again in a transaction that
    sits in rpmdb.sqlite-wal only (no checkpoint), as after a crash or a copy of a live
    system. rpm applies the WAL; so must secloop."""
    live = tmp_path / "live"
    shutil.copytree(rpm_db, live)
    connection = sqlite3.connect(live / "rpmdb.sqlite")
    try:
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        number, blob = connection.execute(
            "SELECT hnum, blob FROM Packages ORDER BY hnum DESC LIMIT 1"
        ).fetchone()
        connection.execute("DELETE FROM Packages WHERE hnum = ?", (number,))
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("INSERT INTO Packages (hnum, blob) VALUES (?, ?)", (number, blob))
        connection.commit()
        assert (live / "rpmdb.sqlite-wal").stat().st_size > 0
        snapshot = tmp_path / "snapshot"  # copied while the writer still holds the WAL
        snapshot.mkdir()
        for name in ("rpmdb.sqlite", "rpmdb.sqlite-wal"):
            shutil.copy(live / name, snapshot / name)
    finally:
        connection.close()
    main_only = tmp_path / "main-only"
    main_only.mkdir()
    shutil.copy(snapshot / "rpmdb.sqlite", main_only / "rpmdb.sqlite")
    expected = {(n, v) for n, v, _, _ in _rpm_qa(_copy(snapshot, tmp_path / "q1"))}
    without_wal = {(n, v) for n, v, _, _ in _rpm_qa(_copy(main_only, tmp_path / "q2"))}
    assert len(expected) == 3
    assert len(expected - without_wal) == 1  # the package re-installed is only in the WAL

    root = _rpm_rootfs(tmp_path / "root", snapshot)
    found, result = _scan_packages(RootfsArtifact(root, limits=ScanLimits(), name="root"))
    assert found == expected
    assert not result.failed
    assert (root / "var/lib/rpm/rpmdb.sqlite-wal").read_bytes() == (
        snapshot / "rpmdb.sqlite-wal"
    ).read_bytes()  # opened in a private copy: the scanned tree is untouched
    layer = Layer(
        [
            file("etc/os-release", ROCKY),
            file("var/lib/rpm/rpmdb.sqlite", (snapshot / "rpmdb.sqlite").read_bytes()),
            file("var/lib/rpm/rpmdb.sqlite-wal", (snapshot / "rpmdb.sqlite-wal").read_bytes()),
        ]
    )
    layout = write_oci_layout(tmp_path / "oci", [Image([layer])])
    opener = LocalImageOpener()
    with opener.open(str(layout), limits=ScanLimits(), excludes=(), use_gitignore=False) as image:
        found, _ = _scan_packages(image)
    assert found == expected
    # the database alone (no system to read the WAL from) lists what its main file holds
    alone = parse_rpmdb(
        RpmStore.SQLITE,
        (snapshot / "rpmdb.sqlite").read_bytes(),
        "Rocky Linux:8",
        PackageLocation(path="var/lib/rpm/rpmdb.sqlite"),
    )
    assert {(p.name, p.version) for p in alone} == without_wal


def _copy(source: Path, target: Path) -> Path:
    """rpm may checkpoint the database it opens: query a throwaway copy."""
    shutil.copytree(source, target)
    return target
