"""System package databases: each package's line in the database file, and the
licences apk and rpm record (dpkg records none)."""

from __future__ import annotations

from pathlib import Path

from secloop.core.package import PackageLocation
from secloop.scan.inventory.os.apk import parse_apk_installed
from secloop.scan.inventory.os.dpkg import parse_dpkg_status
from secloop.scan.inventory.os.rpm import parse_rpmdb_sqlite
from tests.unit.image.test_os_inventory import _rpm_header, _rpmdb

DB = PackageLocation(path="db")

APK = """\
C:Q1abc=
P:musl
V:1.2.4-r4
L:MIT
o:musl

P:busybox
V:1.36.1-r15
L:GPL-2.0-only
F:bin

P:tzdata
V:2024a-r0
L:Public-Domain
"""

DPKG = """\
Package: libc6
Status: install ok installed
Version: 2.36-9
Description: C library
 continued

Package: zlib1g
Status: install ok installed
Version: 1:1.2.13.dfsg-1
"""


def test_apk_blocks_give_lines_and_licences() -> None:
    found = {
        p.name: (p.locations[0], p.license) for p in parse_apk_installed(APK, "Alpine:v3.19", DB)
    }
    assert found == {
        "musl": (PackageLocation(path="db", line=1), "MIT"),
        "busybox": (PackageLocation(path="db", line=7), "GPL-2.0-only"),
        # Not an SPDX id: kept as written, never invented.
        "tzdata": (PackageLocation(path="db", line=12), "Public-Domain"),
    }


def test_dpkg_paragraphs_give_lines_and_no_licence() -> None:
    packages = parse_dpkg_status(DPKG, "Debian:12", DB)
    assert [(p.name, p.locations[0].line, p.license) for p in packages] == [
        ("libc6", 1, None),
        ("zlib1g", 7, None),
    ]


def test_rpm_license_tag(tmp_path: Path) -> None:
    data = _rpmdb(
        tmp_path / "rpmdb.sqlite",
        [
            _rpm_header({1000: "bash", 1001: "5.2.26", 1002: "3.fc40", 1014: "GPL-3.0-or-later"}),
            _rpm_header({1000: "zlib", 1001: "1.2.11", 1002: "40.el9", 1014: "zlib and Boost"}),
            _rpm_header({1000: "filesystem", 1001: "3.16", 1002: "2.el9"}),
        ],
    )
    found = {p.name: p.license for p in parse_rpmdb_sqlite(data, "Red Hat:9", DB)}
    assert found == {"bash": "GPL-3.0-or-later", "zlib": "zlib and Boost", "filesystem": None}
