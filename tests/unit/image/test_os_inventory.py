"""OS and installed-package inventory: os-release, dpkg (status and status.d), apk,
rpm SQLite, Python and npm installs; and this machine's real dpkg database."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest

from secloop.core.package import PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import FileContent, FileEntry, ScanError
from secloop.scan.inventory.installed.node import is_installed_package_json, parse_package_json
from secloop.scan.inventory.installed.python import PythonDistributionAnalyzer
from secloop.scan.inventory.os import system_analyzers
from secloop.scan.inventory.os.apk import ApkAnalyzer, parse_apk_installed
from secloop.scan.inventory.os.dpkg import DpkgAnalyzer, parse_dpkg_status
from secloop.scan.inventory.os.release import distro_ecosystem, parse_os_release
from secloop.scan.inventory.os.rpm import RpmAnalyzer, parse_rpmdb_sqlite

HERE = PackageLocation(path="db")

DPKG_STATUS = """\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1
Description: Secure Sockets Layer toolkit
 multi-line description folded in.

Package: removed-pkg
Status: deinstall ok config-files
Version: 1.0-1

Package: zlib1g
Status: install ok installed
Source: zlib
Version: 1:1.2.13.dfsg-1
"""

# Written from apk-tools' database format (apk(8), "installed" database); no Alpine
# root filesystem can be produced on this Debian machine.
APK_INSTALLED = """\
C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
o:musl
F:lib
R:ld-musl-x86_64.so.1

P:libcrypto3
V:3.1.4-r5
o:openssl
"""


@pytest.mark.parametrize(
    ("text", "family", "version", "ecosystem"),
    [
        (
            'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"',
            "debian",
            "12",
            "Debian:12",
        ),
        ("ID=alpine\nVERSION_ID=3.19.1\n", "alpine", "3.19.1", "Alpine:v3.19"),
        (
            'ID=ubuntu\nVERSION="22.04.4 LTS (Jammy)"\nVERSION_ID="22.04"',
            "ubuntu",
            "22.04:LTS",
            "Ubuntu:22.04:LTS",
        ),
        ('ID="rhel"\nVERSION_ID="9.3"\n', "rhel", "9.3", "Red Hat:9"),
        ("ID=debian\n# testing: no VERSION_ID\n", "debian", "", None),
    ],
)
def test_os_release_and_its_ecosystem(
    text: str, family: str, version: str, ecosystem: str | None
) -> None:
    os_release = parse_os_release(text)
    assert (os_release.family, os_release.version) == (family, version)
    assert distro_ecosystem(os_release) == ecosystem


def test_dpkg_status_keeps_installed_packages_and_their_sources() -> None:
    packages = parse_dpkg_status(DPKG_STATUS, "Debian:12", HERE)
    assert [(p.name, p.version, p.source_name) for p in packages] == [
        ("libssl3", "3.0.11-1~deb12u2+b1", "openssl"),
        ("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
    ]
    # no release given: the architecture qualifies the purl, no distro is claimed
    assert packages[0].purl == "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64"
    assert packages[1].purl == "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1"


def test_os_package_purls_name_the_release_as_syft_and_trivy_do() -> None:
    debian = OperatingSystem(family="debian", name="Debian", version="12")
    entry = FileEntry(path="var/lib/dpkg/status", size=0)
    output = DpkgAnalyzer(debian).analyze(FileContent(entry=entry, data=DPKG_STATUS.encode()))
    assert [p.purl for p in output.packages] == [
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12",
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12",
    ]
    ubuntu = OperatingSystem(family="ubuntu", name="Ubuntu", version="22.04:LTS")
    output = DpkgAnalyzer(ubuntu).analyze(FileContent(entry=entry, data=DPKG_STATUS.encode()))
    assert output.packages[0].purl.endswith("?arch=amd64&distro=ubuntu-22.04")
    alpine = OperatingSystem(family="alpine", name="Alpine", version="3.19.1")
    apk = FileEntry(path="lib/apk/db/installed", size=0)
    output = ApkAnalyzer(alpine).analyze(FileContent(entry=apk, data=APK_INSTALLED.encode()))
    assert [p.purl for p in output.packages] == [
        "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.19.1",
    ]


def test_distroless_status_d_and_the_release_ecosystem() -> None:
    debian = OperatingSystem(family="debian", name="Debian", version="12")
    analyzer = DpkgAnalyzer(debian)
    entry = FileEntry(path="var/lib/dpkg/status.d/libssl3", size=0)
    assert analyzer.applies_to(entry)
    assert not analyzer.applies_to(FileEntry(path="var/lib/dpkg/status.d/x.md5sums", size=0))
    output = analyzer.analyze(FileContent(entry=entry, data=DPKG_STATUS.encode()))
    assert {p.ecosystem for p in output.packages} == {"Debian:12"}
    assert DpkgAnalyzer(None).ecosystem == "Debian"


def test_apk_installed() -> None:
    packages = parse_apk_installed(APK_INSTALLED, "Alpine:v3.19", HERE)
    assert [(p.name, p.version, p.source_name) for p in packages] == [
        ("musl", "1.2.4_git20230717-r4", "musl"),
        ("libcrypto3", "3.1.4-r5", "openssl"),
    ]
    alpine = OperatingSystem(family="alpine", name="Alpine", version="3.19.1")
    assert ApkAnalyzer(alpine).ecosystem == "Alpine:v3.19"


def _rpm_header(tags: dict[int, str | int]) -> bytes:
    """An rpm header blob as the RPM file format describes it (index + data store)."""
    entries, store = [], bytearray()
    for tag, value in tags.items():
        if isinstance(value, int):
            store += b"\0" * (-len(store) % 4)
            entries.append(struct.pack(">IIiI", tag, 4, len(store), 1))
            store += struct.pack(">i", value)
        else:
            entries.append(struct.pack(">IIiI", tag, 6, len(store), 1))
            store += value.encode() + b"\0"
    return struct.pack(">II", len(entries), len(store)) + b"".join(entries) + bytes(store)


def _rpmdb(path: Path, headers: list[bytes]) -> bytes:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB)")
        db.executemany("INSERT INTO Packages (blob) VALUES (?)", [(h,) for h in headers])
    db.close()
    return path.read_bytes()


def test_rpm_sqlite_database(tmp_path: Path) -> None:
    data = _rpmdb(
        tmp_path / "rpmdb.sqlite",
        [
            _rpm_header(
                {
                    1000: "openssl-libs",
                    1001: "3.0.7",
                    1002: "25.el9_3",
                    1003: 1,
                    1044: "openssl-3.0.7-25.el9_3.src.rpm",
                }
            ),
            _rpm_header({1000: "bash", 1001: "5.1.8", 1002: "6.el9"}),
            _rpm_header({1000: "gpg-pubkey", 1001: "fd431d51", 1002: "4ae0493b"}),
            b"\xff\xff\xff\xff garbage header",
        ],
    )
    packages = parse_rpmdb_sqlite(data, "Red Hat:9", HERE)
    assert [(p.name, p.version, p.source_name) for p in packages] == [
        ("openssl-libs", "1:3.0.7-25.el9_3", "openssl"),
        ("bash", "5.1.8-6.el9", "bash"),
    ]
    rhel = OperatingSystem(family="rhel", name="RHEL", version="9.3")
    assert RpmAnalyzer(rhel).ecosystem == "Red Hat:9"


def test_rpm_purls_and_a_write_ahead_log_that_cannot_be_read(tmp_path: Path) -> None:
    data = _rpmdb(
        tmp_path / "rpmdb.sqlite",
        [_rpm_header({1000: "bash", 1001: "5.1.8", 1002: "6.el9", 1022: "x86_64"})],
    )
    rocky = OperatingSystem(family="rocky", name="Rocky Linux", version="9.3")
    path = "var/lib/rpm/rpmdb.sqlite"

    def unreadable(wanted: str) -> bytes | None:
        assert wanted == path + "-wal"
        raise ScanError(f"{wanted}: larger than the 10 byte limit")

    analyzer = RpmAnalyzer(rocky, read_beside=unreadable)
    assert analyzer.claims(path)
    assert analyzer.claims(path + "-wal")
    assert not analyzer.claims("var/lib/rpm/other.sqlite")
    output = analyzer.analyze(FileContent(entry=FileEntry(path=path, size=0), data=data))
    assert [p.purl for p in output.packages] == [
        "pkg:rpm/rockylinux/bash@5.1.8-6.el9?arch=x86_64&distro=rocky-9.3"
    ]
    assert output.problems == (
        f"write-ahead log not read ({path}-wal: larger than the 10 byte limit); "
        "packages only in it are missing",
    )
    absent = RpmAnalyzer(rocky, read_beside=lambda _: None)
    output = absent.analyze(FileContent(entry=FileEntry(path=path, size=0), data=data))
    assert (len(output.packages), output.problems) == (1, ())


def test_python_and_node_installs() -> None:
    analyzer = PythonDistributionAnalyzer()
    meta = FileEntry(path="usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", size=0)
    egg = FileEntry(path="usr/lib/python3/site-packages/Foo_Bar.egg-info/PKG-INFO", size=0)
    assert analyzer.applies_to(meta)
    assert analyzer.applies_to(egg)
    assert not analyzer.applies_to(FileEntry(path="docs/METADATA", size=0))
    output = analyzer.analyze(FileContent(entry=meta, data=b"Name: PyYAML\nVersion: 6.0\n\nbody"))
    assert [(p.name, p.version, p.ecosystem) for p in output.packages] == [
        ("pyyaml", "6.0", "PyPI")
    ]
    assert is_installed_package_json("app/node_modules/@babel/core/package.json")
    assert is_installed_package_json("node_modules/a/node_modules/b/package.json")
    assert not is_installed_package_json("node_modules/a/test/fixture/package.json")
    assert not is_installed_package_json("app/package.json")
    found = parse_package_json('{"name": "@babel/core", "version": "7.0.0"}', HERE)
    assert found[0].purl == "pkg:npm/%40babel/core@7.0.0"
    assert parse_package_json('{"name": "no-version"}', HERE) == ()


def test_system_analyzers_cover_every_family() -> None:
    names = {a.name for a in system_analyzers(None)}
    assert names == {"os-release", "dpkg", "apk", "rpm", "python-installed", "npm-installed"}


def test_this_machines_dpkg_database_matches_dpkg_query() -> None:
    status = Path("/var/lib/dpkg/status")
    if not status.is_file() or shutil.which("dpkg-query") is None:
        pytest.skip("no dpkg on this machine")
    ours = {
        (p.name, p.version)
        for p in parse_dpkg_status(status.read_text(encoding="utf-8"), "Debian", HERE)
    }
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = {
        tuple(line.split("\t")[:2]) for line in listed.splitlines() if line.endswith("\tinstalled")
    }
    assert ours == expected
