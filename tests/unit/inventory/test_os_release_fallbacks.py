"""The release of systems without /etc/os-release: /usr/lib/os-release, lsb-release,
alpine-release, the Red Hat family's *-release files, debian_version and distroless
status.d records, each on real root filesystems and images, in priority order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.core.result import OperatingSystem
from secloop.scan.artifact.rootfs import RootfsOpener
from secloop.scan.interface import FileContent, FileEntry, ScanError, ScanLimits
from secloop.scan.inventory.os import SystemArtifact, detect_operating_system
from secloop.scan.inventory.os.release import (
    OsReleaseAnalyzer,
    distro_ecosystem,
    parse_release_file,
)
from tests.unit.image.builders import Image, Layer, file, write_oci_layout
from tests.unit.image.test_cli_image import _run, vulndb  # noqa: F401 - a fixture

BASE_FILES = "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\n"
LIBSSL = (
    "Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u1\n"
)


@pytest.mark.parametrize(
    ("path", "text", "family", "version", "ecosystem"),
    [
        ("usr/lib/os-release", "ID=debian\nVERSION_ID=11\n", "debian", "11", "Debian:11"),
        (
            "etc/lsb-release",
            'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n',
            "ubuntu",
            "22.04:LTS",
            "Ubuntu:22.04:LTS",
        ),
        (
            "etc/lsb-release",
            "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=23.10\n",
            "ubuntu",
            "23.10",
            "Ubuntu:23.10",
        ),
        ("etc/alpine-release", "3.19.1\n", "alpine", "3.19.1", "Alpine:v3.19"),
        (
            "etc/centos-release",
            "CentOS Linux release 7.9.2009 (Core)\n",
            "centos",
            "7.9.2009",
            None,
        ),
        (
            "etc/redhat-release",
            "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n",
            "rhel",
            "7.9",
            "Red Hat:7",
        ),
        (
            "etc/rocky-release",
            "Rocky Linux release 8.9 (Green Obsidian)\n",
            "rocky",
            "8.9",
            "Rocky Linux:8",
        ),
        (
            "etc/almalinux-release",
            "AlmaLinux release 9.3 (Shamrock Pampas Cat)\n",
            "almalinux",
            "9.3",
            "AlmaLinux:9",
        ),
        ("etc/fedora-release", "Fedora release 39 (Thirty Nine)\n", "fedora", "39", None),
        ("etc/oracle-release", "Oracle Linux Server release 8.9\n", "ol", "8.9", None),
        ("etc/debian_version", "12.5\n", "debian", "12.5", "Debian:12"),
        ("etc/debian_version", "trixie/sid\n", "debian", "", None),
        ("var/lib/dpkg/status.d/base-files", BASE_FILES, "debian", "12", "Debian:12"),
    ],
)
def test_each_release_file(
    path: str, text: str, family: str, version: str, ecosystem: str | None
) -> None:
    release = parse_release_file(text, path)
    assert (release.family, release.version) == (family, version)
    assert distro_ecosystem(release) == ecosystem


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("etc/lsb-release", "DISTRIB_RELEASE=1\n", "no DISTRIB_ID"),
        ("etc/alpine-release", "edge\n", "not an Alpine version"),
        ("etc/alpine-release", "\n", "empty release file"),
        ("etc/redhat-release", "Something Linux 7\n", "not a known"),
        ("etc/redhat-release", "Mystery Linux release 7\n", "not a known"),
        ("var/lib/dpkg/status.d/base-files", "Package: libc6\nVersion: 2.36\n", "base-files"),
        ("etc/passwd", "root:x:0:0\n", "not a release file"),
    ],
)
def test_files_that_name_no_release_are_refused(path: str, text: str, reason: str) -> None:
    with pytest.raises(ScanError, match=f"{path}: .*{reason}"):
        parse_release_file(text, path)


def _detect(root: Path, files: dict[str, str]) -> OperatingSystem | None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    with RootfsOpener().open(
        str(root), limits=ScanLimits(), excludes=(), use_gitignore=False
    ) as art:
        assert isinstance(art, SystemArtifact)
        return detect_operating_system(art)


def test_priority_on_real_root_filesystems(tmp_path: Path) -> None:
    ubuntu = {
        "etc/lsb-release": (
            'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\nDISTRIB_DESCRIPTION="Ubuntu 20.04.6 LTS"\n'
        ),
        "etc/debian_version": "bullseye/sid\n",
    }
    found = _detect(tmp_path / "ubuntu", ubuntu)
    assert found is not None
    assert (found.family, found.version) == ("ubuntu", "20.04:LTS")
    # os-release wins over everything; an unreadable one falls through to the next file
    with_os_release = {**ubuntu, "etc/os-release": 'ID=ubuntu\nVERSION_ID="20.04"\n'}
    found = _detect(tmp_path / "both", with_os_release)
    assert found is not None
    assert found.version == "20.04"
    broken = {"etc/os-release": "no id here\n", "etc/alpine-release": "3.18.4\n"}
    found = _detect(tmp_path / "broken", broken)
    assert found is not None
    assert (found.family, found.version) == ("alpine", "3.18.4")
    centos = tmp_path / "centos"
    found = _detect(centos, {"etc/centos-release": "CentOS Linux release 8.5.2111\n"})
    (centos / "etc/redhat-release").symlink_to("centos-release")
    assert found is not None
    assert found.family == "centos"
    assert _detect(tmp_path / "empty", {"srv/app.txt": "x"}) is None


def test_the_analyzer_reports_the_detected_release_for_any_release_file() -> None:
    detected = OperatingSystem(family="ubuntu", name="Ubuntu 20.04.6 LTS", version="20.04:LTS")
    analyzer = OsReleaseAnalyzer(detected)
    for path in ("etc/lsb-release", "etc/debian_version", "usr/lib/os-release"):
        entry = FileEntry(path=path, size=10)
        assert analyzer.applies_to(entry)
        output = analyzer.analyze(FileContent(entry=entry, data=b"bullseye/sid\n"))
        assert output.operating_system == detected
    assert not OsReleaseAnalyzer().applies_to(FileEntry(path="etc/debian_version", size=10))


def test_distroless_image_without_os_release(tmp_path: Path, vulndb: Path) -> None:  # noqa: F811
    layer = Layer(
        [
            file("var/lib/dpkg/status.d/base-files", BASE_FILES),
            file("var/lib/dpkg/status.d/libssl3", LIBSSL),
            file("etc/debian_version", "12.4\n"),
        ]
    )
    layout = write_oci_layout(tmp_path / "distroless", [Image([layer])], tags=["nonroot"])
    report = tmp_path / "report.json"
    code = _run("image", f"{layout}:nonroot", "-q", "-f", "json", "-o", str(report))
    assert code == 1  # libssl3 3.0.11-1~deb12u1 is affected by the test database's DSA
    document = json.loads(report.read_text())
    assert document["operating_system"]["family"] == "debian"
    assert document["operating_system"]["version"] == "12.4"
    packages = {p["name"]: p["ecosystem"] for p in document["packages"]}
    assert packages == {"base-files": "Debian:12", "libssl3": "Debian:12"}
    assert "DSA-5532-1" in {f["rule_id"] for f in document["findings"]}


@pytest.mark.parametrize(
    ("text", "ecosystem", "purl_namespace"),
    [
        ('ID="sles"\nVERSION_ID="15.5"\n', "SUSE:Linux Enterprise Server 15 SP5", "suse"),
        ('ID="sles"\nVERSION_ID="15"\n', "SUSE:Linux Enterprise Server 15", "suse"),
        ('ID="opensuse-leap"\nVERSION_ID="15.5"\n', "openSUSE:Leap 15.5", "opensuse"),
        ('ID="opensuse-tumbleweed"\nVERSION_ID="20240301"\n', "openSUSE:Tumbleweed", "opensuse"),
        ('ID="centos"\nVERSION_ID="7"\n', "Red Hat", "redhat"),  # no OSV ecosystem
    ],
)
def test_rpm_ecosystems_of_suse_releases(text: str, ecosystem: str, purl_namespace: str) -> None:
    from secloop.core.package import PackageLocation
    from secloop.scan.inventory.os.rpm import RpmAnalyzer, RpmStore, parse_rpmdb
    from tests.unit.image.rpmdb_writers import ndb
    from tests.unit.image.test_os_inventory import _rpm_header

    analyzer = RpmAnalyzer(parse_release_file(text, "etc/os-release"))
    assert analyzer.ecosystem == ecosystem
    data = ndb({1: _rpm_header({1000: "zypper", 1001: "1.14.68", 1002: "150500.1.1"})})
    location = PackageLocation(path="usr/lib/sysimage/rpm/Packages.db")
    (package,) = parse_rpmdb(RpmStore.NDB, data, analyzer.ecosystem, location)
    assert package.purl.startswith(f"pkg:rpm/{purl_namespace}/zypper@")
