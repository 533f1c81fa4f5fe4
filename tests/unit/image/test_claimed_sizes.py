"""Package databases past the walk's size limit: the rpm analyzer's own allowance
(``Analyzer.max_bytes``), applied by the engine to directories, root filesystems and
images alike, capped by ``ScanLimits.max_claimed_file_bytes`` and reported past it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from secloop.core.result import ScanResult, Skipped, SkipReason
from secloop.scan.artifact.fs import DirectoryArtifact
from secloop.scan.artifact.image.opener import LocalImageOpener
from secloop.scan.engine import scan_artifact
from secloop.scan.interface import Artifact, ScanLimits
from secloop.scan.inventory.os import system_analyzers
from tests.unit.image.builders import Image, Layer, file, write_oci_layout
from tests.unit.image.test_os_inventory import _rpm_header

DB = "var/lib/rpm/rpmdb.sqlite"
OTHER = "srv/data.sqlite"
LIMIT = 4096  # one SQLite page: every database is larger


def _database(path: Path) -> bytes:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
        header = _rpm_header({1000: "bash", 1001: "5.1.8", 1002: "6.el9"})
        db.execute("INSERT INTO Packages (blob) VALUES (?)", (header,))
    db.close()
    return path.read_bytes()


def _scan(artifact: Artifact) -> ScanResult:
    return scan_artifact(
        artifact, analyzers=system_analyzers(None), scanners=(), collect_inventory=True
    )


def _skips(result: ScanResult) -> dict[str, str]:
    return {
        c.path: c.detail
        for c in result.coverage
        if isinstance(c, Skipped) and c.reason is SkipReason.TOO_LARGE
    }


def test_the_rpm_database_is_read_past_the_walk_limit_other_files_are_not(
    tmp_path: Path,
) -> None:
    data = _database(tmp_path / "db.sqlite")
    assert len(data) > LIMIT
    root = tmp_path / "root"
    for path in (DB, OTHER):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    result = _scan(DirectoryArtifact(root, limits=ScanLimits(max_file_bytes=LIMIT)))
    assert [(p.name, p.version) for p in result.packages] == [("bash", "5.1.8-6.el9")]
    assert _skips(result) == {OTHER: f"{len(data)} bytes, limit {LIMIT}"}

    layout = write_oci_layout(
        tmp_path / "oci", [Image([Layer([file(DB, data), file(OTHER, data)])])]
    )
    opener = LocalImageOpener()
    limits = ScanLimits(max_file_bytes=LIMIT)
    with opener.open(str(layout), limits=limits, excludes=(), use_gitignore=False) as image:
        result = _scan(image)
    assert [(p.name, p.version) for p in result.packages] == [("bash", "5.1.8-6.el9")]
    assert _skips(result) == {OTHER: f"{len(data)} bytes, limit {LIMIT}"}


def test_past_the_ceiling_the_database_is_reported(tmp_path: Path) -> None:
    data = _database(tmp_path / "db.sqlite")
    root = tmp_path / "root"
    (root / DB).parent.mkdir(parents=True)
    (root / DB).write_bytes(data)
    limits = ScanLimits(max_file_bytes=LIMIT // 2, max_claimed_file_bytes=LIMIT)
    result = _scan(DirectoryArtifact(root, limits=limits))
    assert result.packages == ()
    assert _skips(result) == {
        DB: f"{len(data)} bytes, past the {LIMIT} byte limit of a package database"
    }


def test_without_inventory_no_allowance_is_given(tmp_path: Path) -> None:
    data = _database(tmp_path / "db.sqlite")
    root = tmp_path / "root"
    (root / DB).parent.mkdir(parents=True)
    (root / DB).write_bytes(data)
    artifact = DirectoryArtifact(root, limits=ScanLimits(max_file_bytes=LIMIT))
    result = scan_artifact(artifact, analyzers=system_analyzers(None), scanners=())
    assert _skips(result) == {DB: f"{len(data)} bytes, limit {LIMIT}"}
