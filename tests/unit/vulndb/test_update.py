"""``db update`` against a fake OSV bucket served from a local directory (no network).

The bucket is built from the corpus OSV records; handlers can be told to fail (500,
stall, truncate) so that each failure is shown to leave the old database working.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.db import db_group
from secloop.vulndb.errors import DatabaseOutdatedError
from secloop.vulndb.store import VulnerabilityStore
from secloop.vulndb.update import UpdateError, UpdateLimits, base_url_from, update_database
from tests.conftest import corpus_path


class Bucket:
    """Files by URL path, plus per-path faults: "500", "stall", "truncate"."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.requests: list[str] = []


def _handler(bucket: Bucket) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            bucket.requests.append(self.path)
            fault = bucket.faults.get(self.path)
            body = bucket.files.get(self.path)
            if fault == "500":
                self.send_error(500)
                return
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault == "stall":
                time.sleep(2)
                return
            self.wfile.write(body[: len(body) // 2] if fault == "truncate" else body)

        def log_message(self, *args: object) -> None:
            return

    return Handler


@pytest.fixture
def bucket() -> Iterator[tuple[Bucket, str]]:
    state = Bucket()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _records(ecosystem_dir: str) -> dict[str, dict[str, object]]:
    root = corpus_path("osv-records", ecosystem_dir)
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.json"))}


def _zip(records: dict[str, dict[str, object]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, record in records.items():
            archive.writestr(f"{name}.json", json.dumps(record))
    return buffer.getvalue()


def _csv(records: dict[str, dict[str, object]]) -> bytes:
    rows = sorted(((str(r["modified"]), n) for n, r in records.items()), reverse=True)
    return "".join(f"{m},{n}\n" for m, n in rows).encode()


def _publish(bucket: Bucket, ecosystem: str, records: dict[str, dict[str, object]]) -> None:
    bucket.files[f"/{ecosystem}/all.zip"] = _zip(records)
    bucket.files[f"/{ecosystem}/modified_id.csv"] = _csv(records)
    for name, record in records.items():
        bucket.files[f"/{ecosystem}/{name}.json"] = json.dumps(record).encode()


def _clock_after(records: dict[str, dict[str, object]]) -> datetime:
    newest = max(
        datetime.fromisoformat(str(r["modified"]).replace("Z", "+00:00")) for r in records.values()
    )
    return newest + timedelta(days=1)


def _count(db: Path) -> int:
    with VulnerabilityStore(db) as store:
        return store.status().advisories


def test_full_then_unchanged_then_incremental(bucket: tuple[Bucket, str], tmp_path: Path) -> None:
    state, url = bucket
    npm, go = _records("npm"), _records("go")
    _publish(state, "npm", npm)
    _publish(state, "Go", go)
    db = tmp_path / "vulndb.sqlite"
    clock = lambda: _clock_after({**npm, **go})  # noqa: E731
    started = time.perf_counter()
    first = update_database(db, base_url=url, ecosystems=["npm", "Go"], clock=clock)
    print(f"full update from the fake bucket: {time.perf_counter() - started:.3f}s")
    assert first.modes == {"npm": "full", "Go": "full"}
    assert first.report is not None
    assert _count(db) == len(npm) + len(go)

    state.requests.clear()
    second = update_database(db, base_url=url, ecosystems=["npm", "Go"], clock=clock)
    assert second.report is None  # unchanged: one small request per ecosystem
    assert sorted(state.requests) == ["/Go/modified_id.csv", "/npm/modified_id.csv"]

    name, record = next(iter(npm.items()))
    changed = {**record, "modified": "2099-01-01T00:00:00Z", "summary": "changed upstream"}
    _publish(state, "npm", {**npm, name: changed})
    state.requests.clear()
    third = update_database(db, base_url=url, ecosystems=["npm", "Go"], clock=clock)
    assert third.modes == {"npm": "incremental", "Go": "incremental"}
    assert third.changed == 1
    assert f"/npm/{name}.json" in state.requests
    assert "/npm/all.zip" not in state.requests
    assert _count(db) == len(npm) + len(go)
    with VulnerabilityStore(db) as store:
        assert store.as_of == datetime(2099, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("fault", ["500", "truncate", "stall", "not-a-zip", "bad-crc"])
def test_failed_update_keeps_the_old_database(
    bucket: tuple[Bucket, str], tmp_path: Path, fault: str
) -> None:
    state, url = bucket
    npm, go = _records("npm"), _records("go")
    _publish(state, "npm", npm)
    _publish(state, "Go", go)
    db = tmp_path / "vulndb.sqlite"
    update_database(db, base_url=url, ecosystems=["npm"])
    before = db.read_bytes()
    if fault == "not-a-zip":
        state.files["/Go/all.zip"] = b"<html>not found</html>"
    elif fault == "bad-crc":
        data = bytearray(state.files["/Go/all.zip"])
        data[40] ^= 0xFF  # inside the first member's compressed data
        state.files["/Go/all.zip"] = bytes(data)
    else:
        state.faults["/Go/all.zip"] = fault
    limits = UpdateLimits(read_timeout_seconds=0.5, connect_timeout_seconds=0.5)
    with pytest.raises(UpdateError, match=r"/Go/all\.zip") as caught:
        update_database(db, base_url=url, ecosystems=["npm", "Go"], limits=limits)
    print(f"{fault}: {caught.value}")
    assert db.read_bytes() == before
    assert _count(db) == len(npm)


def test_size_cap(bucket: tuple[Bucket, str], tmp_path: Path) -> None:
    state, url = bucket
    _publish(state, "npm", _records("npm"))
    with pytest.raises(UpdateError, match="larger than 100 bytes"):
        update_database(
            tmp_path / "db.sqlite",
            base_url=url,
            ecosystems=["npm"],
            limits=UpdateLimits(max_zip_bytes=100),
        )
    assert not (tmp_path / "db.sqlite").exists()


def test_other_base_url_or_stale_database_downloads_in_full(
    bucket: tuple[Bucket, str], tmp_path: Path
) -> None:
    state, url = bucket
    npm = _records("npm")
    _publish(state, "npm", npm)
    db = tmp_path / "db.sqlite"
    update_database(db, base_url=url, ecosystems=["npm"])
    late = lambda: _clock_after(npm) + timedelta(days=30)  # noqa: E731
    assert update_database(db, base_url=url, ecosystems=["npm"], clock=late).modes["npm"] == "full"
    other = update_database(
        db, base_url=url + "/", ecosystems=["npm"], clock=lambda: _clock_after(npm)
    )
    assert other.modes["npm"] == "full"


def test_base_url_precedence() -> None:
    assert base_url_from("http://a", {"SECLOOP_DB_URL": "http://b"}) == "http://a"
    assert base_url_from(None, {"SECLOOP_DB_URL": "http://b"}) == "http://b"
    assert base_url_from(None, {}).startswith("https://osv-vulnerabilities")


def test_cli_update(bucket: tuple[Bucket, str], tmp_path: Path) -> None:
    state, url = bucket
    _publish(state, "Go", _records("go"))
    db = tmp_path / "db.sqlite"
    runner = CliRunner()
    result = runner.invoke(
        db_group, ["update", "--db", str(db), "--ecosystem", "Go"], env={"SECLOOP_DB_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert "updated" in result.output
    assert "Go: full" in result.output
    state.faults["/Go/all.zip"] = "500"
    failed = runner.invoke(
        db_group, ["update", "--db", str(db), "--ecosystem", "Go", "--base-url", url]
    )
    assert failed.exit_code != 0
    assert "HTTP 500" in str(failed.exception)


def test_an_unchanged_database_from_an_older_secloop_is_rebuilt_offline(
    bucket: tuple[Bucket, str], tmp_path: Path
) -> None:
    state, url = bucket
    npm = _records("npm")
    _publish(state, "npm", npm)
    db = tmp_path / "vulndb.sqlite"
    clock = lambda: _clock_after(npm)  # noqa: E731
    update_database(db, base_url=url, ecosystems=["npm"], clock=clock)
    with sqlite3.connect(db) as connection:  # as an older secloop would have left it
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    connection.close()
    with pytest.raises(DatabaseOutdatedError, match="secloop db update"):
        VulnerabilityStore(db)

    state.requests.clear()
    outcome = update_database(db, base_url=url, ecosystems=["npm"], clock=clock)
    assert state.requests == ["/npm/modified_id.csv"]  # still one small request
    assert outcome.report is not None  # rebuilt from the records it already held
    assert outcome.report.advisories == len(npm)
    assert _count(db) == len(npm)
