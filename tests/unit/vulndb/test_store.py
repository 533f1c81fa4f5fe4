"""The SQLite index: atomic switch, withdrawn records, duplicates, bad files, paths."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secloop.core.advisory import Advisory, AffectedPackage
from secloop.vulndb.errors import (
    DatabaseCorruptError,
    DatabaseNotFoundError,
    ImportSourceError,
    RecordError,
)
from secloop.vulndb.importer import import_path
from secloop.vulndb.osv import parse_record
from secloop.vulndb.store import VulnerabilityStore, build_database, default_db_path

T1 = datetime(2024, 1, 1, tzinfo=UTC)
T2 = datetime(2024, 6, 1, tzinfo=UTC)


def _advisory(identifier: str, *, modified: datetime = T1, **extra: object) -> Advisory:
    affected = (AffectedPackage(ecosystem="PyPI", name="Some_Package"),)
    return Advisory(id=identifier, affected=affected, modified=modified, **extra)  # type: ignore[arg-type]


def test_lookup_normalises_names_and_status_reports_counts(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    report = build_database(path, [_advisory("A-1"), _advisory("A-2", modified=T2)], source="t")
    assert (report.advisories, report.as_of) == (2, T2)
    with VulnerabilityStore(path) as store:
        assert {a.id for a in store.lookup("PyPI", "some.package")} == {"A-1", "A-2"}
        assert store.lookup("npm", "some-package") == []
        status = store.status()
    assert (status.advisories, dict(status.ecosystems), status.as_of) == (2, {"PyPI": 2}, T2)


def test_withdrawn_records_are_dropped_and_the_newest_duplicate_wins(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    records = [
        _advisory("A-1", summary="old"),
        _advisory("A-1", modified=T2, summary="new"),
        _advisory("W-1", withdrawn=T2),
    ]
    report = build_database(path, records, source="t")
    assert (report.advisories, report.withdrawn, report.duplicates) == (1, 1, 1)
    with VulnerabilityStore(path) as store:
        assert [a.summary for a in store.lookup("PyPI", "some-package")] == ["new"]


def test_a_failed_build_leaves_the_old_database_working(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    build_database(path, [_advisory("A-1")], source="first")

    def exploding() -> list[Advisory]:
        raise RuntimeError("interrupted")

    class Interrupted:
        def __iter__(self) -> object:
            yield _advisory("B-1")
            exploding()

    with pytest.raises(RuntimeError, match="interrupted"):
        build_database(path, Interrupted(), source="second")  # type: ignore[arg-type]
    with VulnerabilityStore(path) as store:
        assert store.status().source == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["db.sqlite"]  # no temp file left


def test_missing_and_corrupt_databases_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotFoundError, match="secloop db import"):
        VulnerabilityStore(tmp_path / "none.sqlite")
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseCorruptError, match=r"bogus\.sqlite"):
        VulnerabilityStore(bogus)


def test_default_path_honours_secloop_db_then_xdg() -> None:
    assert default_db_path({"SECLOOP_DB": "/x/y.sqlite"}) == Path("/x/y.sqlite")
    assert default_db_path({"XDG_CACHE_HOME": "/c"}) == Path("/c/secloop/db/vulndb.sqlite")
    assert default_db_path({}).name == "vulndb.sqlite"


def test_yaml_versions_stay_strings() -> None:
    text = (
        b"id: X-1\naffected:\n- package: {ecosystem: PyPI, name: a}\n  ranges:\n"
        b"  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n"
    )
    advisory = parse_record(text, source="X-1.yaml")
    assert [e.version for e in advisory.affected[0].ranges[0].events] == ["0", "1.10"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "X.json: cannot decode"),
        (b"[]", "X.json: not an OSV record"),
        (
            b'{"id": "X", "affected": [{"package": {"ecosystem": "PyPI"}}]}',
            "affected.0.package.name",
        ),
    ],
)
def test_a_record_that_breaks_the_schema_is_named(data: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_record(data, source="X.json")


def test_zip_import_reports_bad_records_and_keeps_the_rest(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(
            "A-1.json",
            '{"id": "A-1", "affected": [{"package": {"ecosystem": "npm", "name": "a"}}]}',
        )
        handle.writestr("broken.json", "{")
    outcome = import_path(archive, tmp_path / "db.sqlite")
    assert outcome.report.advisories == 1
    assert len(outcome.problems) == 1
    assert "broken.json" in outcome.problems[0]


def test_a_corrupt_zip_leaves_the_old_database(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    build_database(db, [_advisory("A-1")], source="first")
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as handle:
        handle.writestr("A-2.json", '{"id": "A-2"}')
    truncated = tmp_path / "all.zip"
    truncated.write_bytes(good.read_bytes()[:-30])
    with pytest.raises(ImportSourceError, match=r"all\.zip"):
        import_path(truncated, db)
    with VulnerabilityStore(db) as store:
        assert store.status().source == "first"
