"""Rust executables built with cargo-auditable. ``cargo auditable`` cannot be installed
here (no crates.io access), so the tests do what it does at link time on a real
executable: a program compiled by rustc (gcc where rustc is missing) gets the
``.dep-v0`` section, zlib-compressed JSON of the documented schema
(rustsec.org/schemas/cargo-auditable.json), added by objcopy."""

from __future__ import annotations

import json
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import FileContent, FileEntry, ScanError
from secloop.scan.inventory.binaries import RustAuditableAnalyzer
from secloop.scan.inventory.binaries.rustaudit import parse_rust_audit_data
from secloop.scan.registry import default_registry

TREE = {
    "packages": [
        {"name": "hello", "version": "0.1.0", "source": "local", "root": True,
         "dependencies": [1, 2]},
        {"name": "serde", "version": "1.0.130", "source": "crates.io", "dependencies": [3]},
        {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
        {"name": "serde_derive", "version": "1.0.130", "source": "crates.io"},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real executable without the section."""
    if shutil.which("objcopy") is None:
        pytest.skip("needs objcopy (binutils)")
    work = tmp_path_factory.mktemp("rust")
    if shutil.which("rustc"):
        (work / "hello.rs").write_text('fn main() { println!("hello"); }\n')
        command = [
            "rustc",
            "-C",
            "strip=symbols",
            "-o",
            str(work / "hello"),
            str(work / "hello.rs"),
        ]
    elif shutil.which("gcc"):  # pragma: no cover - rustc is installed where tests run
        (work / "hello.c").write_text("int main(void) { return 0; }\n")
        command = ["gcc", "-o", str(work / "hello"), str(work / "hello.c")]
    else:  # pragma: no cover
        pytest.skip("needs rustc or gcc")
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return work / "hello"


def _audited(program: Path, out: Path, section: bytes) -> bytes:
    payload = out.with_suffix(".dep")
    payload.write_bytes(section)
    subprocess.run(
        ["objcopy", "--add-section", f".dep-v0={payload}",
         "--set-section-flags", ".dep-v0=noload,readonly", str(program), str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out.read_bytes()


def _zjson(document: object) -> bytes:
    return zlib.compress(json.dumps(document).encode())


def test_crates_from_an_audited_executable(program: Path, tmp_path: Path) -> None:
    data = _audited(program, tmp_path / "hello", _zjson(TREE))
    packages = parse_rust_audit_data(data, "usr/local/bin/hello")
    assert [(p.name, p.version, p.ecosystem, p.direct) for p in packages] == [
        ("hello", "0.1.0", "crates.io", None),
        ("serde", "1.0.130", "crates.io", True),
        ("cc", "1.0.83", "crates.io", True),
        ("serde_derive", "1.0.130", "crates.io", False),
    ]
    assert packages[1].purl == "pkg:cargo/serde@1.0.130"
    assert packages[1].locations[0].path == "usr/local/bin/hello"


def test_without_a_root_nothing_is_called_direct(program: Path, tmp_path: Path) -> None:
    tree = {"packages": [{"name": "libc", "version": "0.2.150", "source": "crates.io"}]}
    data = _audited(program, tmp_path / "tool", _zjson(tree))
    assert [(p.name, p.direct) for p in parse_rust_audit_data(data, "tool")] == [("libc", None)]


def test_other_executables_and_files_have_no_crates(program: Path) -> None:
    assert parse_rust_audit_data(program.read_bytes(), "hello") == []
    assert parse_rust_audit_data(b"#!/bin/sh\necho hi\n", "run") == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (b"not zlib at all", "not zlib data"),
        (_zjson(TREE)[:-8], "truncated"),
        (zlib.compress(b" " * (9 * 1024 * 1024)), "inflates to more than 8388608 bytes"),
        (zlib.compress(b"{not json"), "not JSON"),
        (_zjson(["packages"]), "no list of package objects"),
        (_zjson({"packages": [{"name": "a", "source": "crates.io"}]}), "package 0 lacks"),
        (
            _zjson(
                {"packages": [{"name": "a", "version": "1", "source": "x", "dependencies": [5]}]}
            ),
            "package 0 has dependencies outside the list",
        ),
    ],
)
def test_bad_sections_name_the_file_and_reason(
    program: Path, tmp_path: Path, section: bytes, message: str
) -> None:
    data = _audited(program, tmp_path / "bad", section)
    with pytest.raises(ScanError, match=f"usr/bin/bad: .*{message}"):
        parse_rust_audit_data(data, "usr/bin/bad")


def test_the_analyzer_picks_executables_by_place_or_name() -> None:
    analyzer = RustAuditableAnalyzer()
    assert analyzer.applies_to(FileEntry(path="usr/bin/rg", size=4096))
    assert analyzer.applies_to(FileEntry(path="opt/app/server", size=4096))
    assert not analyzer.applies_to(FileEntry(path="opt/app/README.md", size=4096))
    assert not analyzer.applies_to(FileEntry(path="usr/bin/tiny", size=10))
    output = analyzer.analyze(FileContent(entry=FileEntry(path="x", size=4), data=b"text"))
    assert output.packages == ()


def test_directory_scan_inventories_audited_binaries(program: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    _audited(program, root / "usr/bin/hello", _zjson(TREE))
    request = ScanRequest(spec=str(root), scanners=("secret",), collect_inventory=True)
    result = run_scan(request, default_registry())
    assert {(p.ecosystem, p.name) for p in result.packages} == {
        ("crates.io", "hello"),
        ("crates.io", "serde"),
        ("crates.io", "cc"),
        ("crates.io", "serde_derive"),
    }
