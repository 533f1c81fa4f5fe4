"""``secloop image`` and ``secloop rootfs`` end to end, with a real OSV database of one
Debian advisory: distro packages are matched in their release's ecosystem."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from secloop.cli.image import image_command, rootfs_command
from secloop.core.errors import Error
from secloop.vulndb.importer import import_path
from tests.unit.image.builders import Image, Layer, directory, file, symlink, write_oci_layout

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
STATUS = """\
Package: libssl3
Status: install ok installed
Source: openssl
Version: 3.0.11-1~deb12u1

Package: bash
Status: install ok installed
Version: 5.2.15-2+b2
"""
ADVISORY = {
    "id": "DSA-5532-1",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2023-5363"],
    "summary": "openssl security update",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "openssl"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}],
                }
            ],
        }
    ],
}


@pytest.fixture
def vulndb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    source = tmp_path / "osv"
    source.mkdir()
    (source / "DSA-5532-1.json").write_text(json.dumps(ADVISORY))
    db = tmp_path / "vulndb.sqlite"
    import_path(source, db)
    monkeypatch.setenv("SECLOOP_DB", str(db))
    monkeypatch.chdir(tmp_path)
    return db


def _run(*args: str) -> int:
    group = click.Group(commands={"image": image_command, "rootfs": rootfs_command})
    code = group.main(args=list(args), standalone_mode=False)
    return code if isinstance(code, int) else 0


def _image(tmp_path: Path) -> Path:
    base = Layer(
        [
            directory("etc"),
            symlink("etc/os-release", "../usr/lib/os-release"),
            file("usr/lib/os-release", OS_RELEASE),
            file("var/lib/dpkg/status", STATUS),
        ],
        created_by="/bin/sh -c #(nop) ADD file:abc in /",
    )
    app = Layer(
        [file("app/config.env", "AWS_ACCESS_KEY_ID=AKIAZ7VRSQ5TKPLJ3XBE\n")],
        created_by="COPY config.env /app/",
    )
    return write_oci_layout(tmp_path / "layout", [Image([base, app])], tags=["1.0"])


def test_image_command_reports_distro_vulnerabilities_with_layers(
    tmp_path: Path, vulndb: Path
) -> None:
    report = tmp_path / "report.json"
    code = _run("image", f"{_image(tmp_path)}:1.0", "-q", "-f", "json", "-o", str(report))
    assert code == 1
    document = json.loads(report.read_text())
    assert document["operating_system"]["version"] == "12"
    packages = {p["name"]: p for p in document["packages"]}
    assert packages["libssl3"]["ecosystem"] == "Debian:12"
    assert packages["libssl3"]["locations"][0]["layer"]["created_by"].endswith("ADD file:abc in /")
    by_rule = {f["rule_id"]: f for f in document["findings"]}
    assert by_rule["DSA-5532-1"]["package"]["name"] == "libssl3"
    secret = [f for f in document["findings"] if f["kind"] == "secret"]
    assert secret
    assert secret[0]["location"]["layer"]["created_by"] == "COPY config.env /app/"


def test_rootfs_command_resolves_absolute_links_inside_the_root(
    tmp_path: Path, vulndb: Path
) -> None:
    root = tmp_path / "root"
    (root / "usr/lib").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "usr/lib/os-release").write_text(OS_RELEASE)
    (root / "etc/os-release").symlink_to("/usr/lib/os-release")
    (root / "etc/host-link").symlink_to("/../../../../etc/hostname")
    (root / "var/lib/dpkg/status").write_text(STATUS)
    report = tmp_path / "rootfs.json"
    assert _run("rootfs", str(root), "-q", "-f", "json", "-o", str(report)) == 1
    document = json.loads(report.read_text())
    assert document["target"]["kind"] == "rootfs"
    assert {p["ecosystem"] for p in document["packages"]} == {"Debian:12"}
    coverage = {c["path"]: c for c in document["coverage"]}
    assert "usr/lib/os-release inside the root" in coverage["etc/os-release"]["detail"]
    assert coverage["etc/host-link"]["reason"] == "broken_symlink"


def test_image_command_errors_are_secloop_errors(tmp_path: Path, vulndb: Path) -> None:
    with pytest.raises(Error, match="not an image archive"):
        _run("image", "Not A Reference!")
    with pytest.raises(Error, match="no image tagged"):
        _run("image", f"{_image(tmp_path)}:2.0", "-q")
