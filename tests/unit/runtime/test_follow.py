"""``--follow``: lines as they are appended, partial lines, truncation, rotation, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secloop.runtime.event import Event
from secloop.runtime.sources import FollowConfig, K8sAuditSource, SourceLimits, open_source
from secloop.runtime.sources.follow import FollowStream
from tests.unit.runtime.helpers import one_rule

FAST = FollowConfig(poll_interval=0.01)
EVENT = {
    "kind": "Event",
    "verb": "delete",
    "stage": "ResponseComplete",
    "user": {"username": "bob"},
    "objectRef": {"resource": "secrets", "name": "s"},
    "stageTimestamp": "2024-05-01T10:00:00Z",
}


def line(**changes: object) -> bytes:
    return (json.dumps({**EVENT, **changes}) + "\n").encode()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class Reader:
    """Iterates a followed source in a thread, collecting events."""

    def __init__(self, source: K8sAuditSource) -> None:
        self.source = source
        self.events: list[Event] = []
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        for event in self.source:
            self.events.append(event)

    def users(self) -> list[object]:
        return [e.get("ka.user.name") for e in self.events]

    def stop(self) -> None:
        self.source.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    path.write_bytes(line(user={"username": "first"}))
    return path


@pytest.fixture
def reader(log: Path) -> Iterator[Reader]:
    source = K8sAuditSource(log, follow=FAST)
    running = Reader(source)
    yield running
    running.stop()


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as stream:
        stream.write(data)


def test_existing_and_appended_lines_are_read(log: Path, reader: Reader) -> None:
    wait_for(lambda: reader.users() == ["first"])
    append(log, line(user={"username": "second"}) + line(user={"username": "third"}))
    wait_for(lambda: reader.users() == ["first", "second", "third"])


def test_a_partial_line_waits_for_its_newline(log: Path, reader: Reader) -> None:
    wait_for(lambda: len(reader.events) == 1)
    data = line(user={"username": "split"})
    append(log, data[:20])
    time.sleep(0.1)
    assert len(reader.events) == 1
    assert reader.source.stats.dropped == 0
    append(log, data[20:])
    wait_for(lambda: reader.users() == ["first", "split"])


def test_truncation_starts_again_from_the_top(log: Path, reader: Reader) -> None:
    wait_for(lambda: len(reader.events) == 1)
    log.write_bytes(b"")
    time.sleep(0.1)
    log.write_bytes(line(user={"username": "after"}))
    wait_for(lambda: reader.users() == ["first", "after"])


def test_rotation_reads_the_old_file_to_its_end_then_the_new_one(log: Path, reader: Reader) -> None:
    wait_for(lambda: len(reader.events) == 1)
    rotated = log.with_suffix(".1")
    log.rename(rotated)
    append(rotated, line(user={"username": "late"}))
    time.sleep(0.1)
    log.write_bytes(line(user={"username": "new"}))
    wait_for(lambda: reader.users() == ["first", "late", "new"])


def test_an_unfinished_line_of_a_rotated_file_is_not_glued_to_the_next(
    log: Path, reader: Reader
) -> None:
    wait_for(lambda: len(reader.events) == 1)
    rotated = log.with_suffix(".1")
    log.rename(rotated)
    append(rotated, line(user={"username": "cut"})[:30])
    log.write_bytes(line(user={"username": "new"}))
    wait_for(lambda: reader.users() == ["first", "new"])
    assert reader.source.stats.dropped == 1


def test_bad_lines_are_dropped_and_following_goes_on(log: Path, reader: Reader) -> None:
    append(log, b"not json\n" + line(user={"username": "ok"}))
    wait_for(lambda: reader.users() == ["first", "ok"])
    assert reader.source.stats.dropped == 1
    assert "not JSON" in reader.source.stats.reasons[0]


def test_a_file_that_appears_later_is_followed(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    running = Reader(K8sAuditSource(path, follow=FAST))
    time.sleep(0.05)
    path.write_bytes(line())
    wait_for(lambda: len(running.events) == 1)
    running.stop()


def test_stop_before_iterating_ends_at_once(log: Path) -> None:
    source = open_source("k8s_audit", log, follow=FAST)
    source.stop()
    assert len(list(source)) == 1


def test_stop_hands_out_a_partial_last_line_to_be_accounted(tmp_path: Path) -> None:
    path = tmp_path / "partial.log"
    path.write_bytes(line()[:-10])
    source = K8sAuditSource(path, follow=FAST)
    running = Reader(source)
    time.sleep(0.05)
    running.stop()
    assert running.events == []
    assert source.stats.dropped == 1


def test_memory_stays_bounded_on_a_line_without_end(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    path.write_bytes(b"x" * 5000)
    stream = FollowStream(path, FollowConfig(poll_interval=0.01, chunk_bytes=512))
    assert stream.readline(1001) == b"x" * 1001
    assert len(stream._buffer) < 1001 + 512
    stream.stop()
    assert stream.read() == b""
    stream.close()


def test_an_oversized_line_is_dropped_and_the_next_one_read(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b'{"x": "' + b"y" * 3000 + b'"}\n' + line())
    source = K8sAuditSource(path, SourceLimits(max_event_bytes=1000), follow=FAST)
    running = Reader(source)
    wait_for(lambda: len(running.events) == 1)
    running.stop()
    assert source.stats.dropped == 1
    assert "larger than 1000 bytes" in source.stats.reasons[0]


def test_from_end_skips_what_is_already_there(log: Path) -> None:
    source = K8sAuditSource(log, follow=FollowConfig(poll_interval=0.01, from_start=False))
    running = Reader(source)
    time.sleep(0.05)
    append(log, line(user={"username": "new"}))
    wait_for(lambda: running.users() == ["new"])
    running.stop()


def test_detect_follow_prints_alerts_as_lines_arrive_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        one_rule("ka.verb = delete", source="k8s_audit", output="deleted by %ka.user.name")
    )
    log = tmp_path / "audit.log"
    log.write_bytes(b"")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secloop",
            "detect",
            "--rules",
            str(rules),
            "--input",
            str(log),
            "--follow",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        append(log, line(user={"username": "mallory"}))
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert first["output"] == "deleted by mallory"
        append(log, b"garbage\n")
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "1 events, 1 alerts, 1 dropped" in err
