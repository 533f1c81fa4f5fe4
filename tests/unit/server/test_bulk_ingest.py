"""The bulk ingest path (COPY / executemany, priorities scored before the INSERT) stores
exactly what the SQLAlchemy Core path with a full re-prioritisation afterwards stored.

Both paths ingest the same 5,000-finding report and then a re-import that raises some
severities and drops some findings; every row of every ingest table is compared as the
database holds it (raw SQL, so timestamp and boolean encodings are compared too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Table, bindparam, insert, update

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import Location
from secloop.core.package import Package
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.json_format import result_to_document
from secloop.server.correlate import PeerIndex
from secloop.server.gcpause import gc_paused
from secloop.server.ingest import ImportFormat, ImportLimits
from secloop.server.service import Upload, run_ingest, start_scan
from secloop.server.storage import bulk, prioritise
from secloop.server.storage.db import make_engine, session_factory, transaction, upgrade
from secloop.server.storage.models import EpssRow, KevRow

TABLES = ("findings", "finding_keys", "finding_sources", "occurrences", "status_changes", "scans")
NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def report(count: int, *, bump: int = 0, drop: int = 0) -> bytes:
    """``count`` vulnerabilities; the first ``bump`` rated one higher, the last ``drop`` gone."""
    findings = [
        Finding(
            kind=FindingKind.VULNERABILITY,
            rule_id=f"CVE-2024-{n:05d}",
            severity=Severity(min(4, n % 4 + (1 if n < bump else 0))),
            title=f"CVE-2024-{n:05d} in pkg{n % 300}",
            message="sample",
            location=Location(path=f"svc{n % 20}/requirements.txt"),
            scanner="vuln",
            anchor=f"pkg{n % 300}|CVE-2024-{n:05d}",
            package=Package.create(name=f"pkg{n % 300}", version="1.0", ecosystem="PyPI"),
            vulnerability=VulnerabilityDetail(
                advisory_id=f"CVE-2024-{n:05d}",
                aliases=(f"GHSA-{n:04x}-test-{n % 7:04d}",) if n % 3 else (),
                installed_version="1.0",
                cvss_vectors=(VECTOR,) if n % 5 == 0 else (),
            ),
        )
        for n in range(count - drop)
    ]
    result = ScanResult(
        target=Target(TargetKind.DIRECTORY, "sample"),
        started_at=NOW,
        finished_at=NOW,
        tool_version="test",
        scanners=("vuln",),
        findings=tuple(assign_fingerprints(findings)),
    )
    return json.dumps(result_to_document(result)).encode("utf-8")


def _core_insert(connection: Connection, table: Table, rows: Any) -> None:
    if rows:
        connection.execute(insert(table), list(rows))


def _core_insert_ids(connection: Connection, table: Table, rows: Any) -> list[int]:
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, list(rows)).scalars())


def _core_update(connection: Connection, table: Table, rows: Any) -> None:
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({c: bindparam(c) for c in columns})
    )
    connection.execute(statement, [{**r, "row_id": r["id"]} for r in rows])


def patch_core(patched: pytest.MonkeyPatch) -> None:
    """The path before the bulk switch: Core statements, then a full asset refresh."""
    for name, value in (("insert_rows", _core_insert), ("insert_with_ids", _core_insert_ids),
                        ("update_rows", _core_update)):  # fmt: skip
        patched.setattr(bulk, name, value)
    patched.setattr(prioritise, "update_rows", _core_update)
    patched.setattr(prioritise, "score_new", lambda *_a, **_k: None)
    full = prioritise.refresh
    patched.setattr(
        prioritise,
        "refresh",
        lambda session, *, asset_id, **_k: full(session, asset_id=asset_id),
    )


def ingest_twice(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """New ingest and re-import of the sample; every ingest table's rows as stored."""
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        kev = KevRow(cve_id="CVE-2024-00007", date_added=date(2024, 1, 2),
                     due_date=date(2024, 1, 23), vendor="v", product="p", name="n")  # fmt: skip
        session.add(kev)
        session.add_all(EpssRow(cve_id=f"CVE-2024-{n:05d}", probability=0.5, percentile=n / 5000)
                        for n in range(0, 5000, 11))  # fmt: skip
    peers = PeerIndex(())
    for data in (report(5000), report(5000, bump=700, drop=300)):
        upload = Upload(data=data, source="s", project="p", asset="a", asset_kind="repository",
                        fmt=ImportFormat.SECLOOP, full_scan=True, user="u")  # fmt: skip
        scan_id = start_scan(factory, upload, clock=lambda: NOW)
        run_ingest(factory, scan_id, upload, peers=peers, limits=ImportLimits(), clock=lambda: NOW)
    with engine.connect() as connection:
        dump = {
            t: [tuple(r) for r in connection.exec_driver_sql(f"SELECT * FROM {t} ORDER BY id")]  # noqa: S608
            for t in TABLES
        }
    engine.dispose()
    return dump


def compare_on(url_factory: Callable[[], str]) -> None:
    """Bulk path against the Core path on fresh databases from ``url_factory``."""
    with pytest.MonkeyPatch.context() as patched:
        patch_core(patched)
        expected = ingest_twice(url_factory())
    stored = ingest_twice(url_factory())
    assert len(stored["findings"]) == 5000
    assert sum(1 for r in stored["status_changes"] if r[5] == "fixed") == 300
    for table in TABLES:
        assert stored[table] == expected[table], table


def test_bulk_path_stores_what_the_core_path_stored(tmp_path: Path) -> None:
    names = iter(("core.db", "bulk.db"))
    compare_on(lambda: f"sqlite:///{tmp_path / next(names)}")


def test_gc_pause_nests_and_restores() -> None:
    import gc

    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
