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
from secloop.core.result import Skipped
from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.opener import LocalImageOpener
from secloop.scan.interface import FileContent, ScanLimits
from secloop.scan.inventory.os import detect_operating_system, system_analyzers
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
