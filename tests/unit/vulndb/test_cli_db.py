"""``secloop db import`` and ``secloop db status``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from secloop.cli.db import db_group
from tests.conftest import corpus_path


def test_import_then_status(tmp_path: Path) -> None:
    source = corpus_path("osv-records", "npm")
    db = tmp_path / "vulndb.sqlite"
    runner = CliRunner()
    imported = runner.invoke(db_group, ["import", str(source), "--db", str(db)])
    assert imported.exit_code == 0, imported.output
    assert "imported 7 advisories" in imported.output
    status = runner.invoke(db_group, ["status", "--db", str(db), "--format", "json"])
    assert status.exit_code == 0, status.output
    document = json.loads(status.output)
    assert document["advisories"] == 7
    assert document["ecosystems"] == {"npm": 7}
    assert document["as_of"].startswith("20")


def test_import_lists_skipped_records(tmp_path: Path) -> None:
    source = tmp_path / "records"
    source.mkdir()
    (source / "bad.json").write_text('{"id": 3, "affected": "x"}')
    result = CliRunner().invoke(db_group, ["import", str(source), "--db", str(tmp_path / "d")])
    assert result.exit_code == 0
    assert "skipped: bad.json" in result.output
