"""``db import``: read records from a source and build the database from them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from secloop.core.advisory import Advisory
from secloop.vulndb.errors import RecordError
from secloop.vulndb.sources import ImportLimits, iter_records
from secloop.vulndb.store import BuildReport, build_database, default_db_path

__all__ = ["ImportOutcome", "import_path"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportOutcome:
    report: BuildReport
    problems: tuple[str, ...]  # one line per skipped record, naming it and the reason
    seconds: float


def import_path(
    source: Path, db_path: Path | None = None, *, limits: ImportLimits | None = None
) -> ImportOutcome:
    """Parse every record under ``source`` and atomically replace the database with them.

    The records are all read before the database is touched, so a source that turns
    out truncated half-way (ImportSourceError) leaves the old database as it was.
    """
    started = time.perf_counter()
    advisories: list[Advisory] = []
    problems: list[str] = []
    for item in iter_records(source, limits):
        if isinstance(item, RecordError):
            problems.append(str(item))
        else:
            advisories.append(item)
    report = build_database(db_path or default_db_path(), advisories, source=str(source))
    return ImportOutcome(
        report=report, problems=tuple(problems), seconds=time.perf_counter() - started
    )
