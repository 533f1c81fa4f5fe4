"""The registry client over real HTTP on loopback, against a server that misbehaves
as registries do: 429 with Retry-After, 5xx, a missing blob, a connection that stalls
before its headers or in the middle of a layer. The transport is the real one
(``UrllibTransport`` with its socket timeout); only the sleeps between retries are
recorded instead of slept, so the test takes about a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.cache import BlobCache
from secloop.scan.artifact.image.http import UrllibTransport
from secloop.scan.artifact.image.interface import RegistryError
from secloop.scan.artifact.image.reference import parse_reference
from secloop.scan.artifact.image.registry import RegistrySettings, RegistrySource
from secloop.scan.interface import FileEntry, ScanLimits
from tests.unit.image.builders import OCI_MANIFEST, Image, Layer, file, sha256

IMAGE = Image([Layer([file("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n")])])
MANIFEST = IMAGE.manifest()
LAYER_DIGEST = sha256(IMAGE.layers[0].blob)
TIMEOUT = 0.5


@dataclass
class Misbehaving:
    """What the server does for a path, one action per request, then it serves."""

    actions: dict[str, list[str]] = field(default_factory=dict)
    released: threading.Event = field(default_factory=threading.Event)
    requests: list[str] = field(default_factory=list)


def _handler(state: Misbehaving) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            queued = state.actions.get(self.path)
            action = queued.pop(0) if queued else "serve"
            if action == "silent":  # accepts, never answers
                state.released.wait(10)
                return
            if action in ("429", "503"):
                self.send_response(int(action))
                self.send_header("Retry-After", "2")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self._body()
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            if "/manifests/" in self.path:
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Docker-Content-Digest", sha256(MANIFEST))
            self.end_headers()
            if action == "stall":  # headers and a few bytes, then nothing
                self.wfile.write(body[:16])
                self.wfile.flush()
                state.released.wait(10)
                return
            self.wfile.write(body)

        def _body(self) -> bytes | None:
            if self.path == "/v2/app/manifests/1.0":
                return MANIFEST
            digest = self.path.removeprefix("/v2/app/blobs/")
            return IMAGE.blobs.get(digest)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Misbehaving]]:
    state = Misbehaving()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", state
    finally:
        state.released.set()
        httpd.shutdown()
        httpd.server_close()


def _pull(host: str, cache: Path, sleeps: list[float], retries: int = 3) -> dict[str, bytes]:
    reference = f"{host}/app:1.0"
    source = RegistrySource(
        parse_reference(reference),
        name=reference,
        transport=UrllibTransport(timeout=TIMEOUT),
        cache=BlobCache(cache),
        settings=RegistrySettings(
            insecure_hosts=frozenset({host}), retries=retries, backoff_seconds=0.01
        ),
        sleep=sleeps.append,
    )
    with ImageArtifact(source, limits=ScanLimits()) as artifact:
        return {e.path: artifact.read(e) for e in artifact.walk() if isinstance(e, FileEntry)}


def _cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


def test_429_and_503_are_retried_honouring_retry_after(
    server: tuple[str, Misbehaving], tmp_path: Path
) -> None:
    host, state = server
    state.actions[f"/v2/app/blobs/{LAYER_DIGEST}"] = ["429", "503"]
    sleeps: list[float] = []
    files = _pull(host, tmp_path / "cache", sleeps)
    assert files == {"etc/os-release": b"ID=alpine\nVERSION_ID=3.19.1\n"}
    assert sleeps == [2.0, 2.0]  # Retry-After wins over the 0.01 s exponential backoff
    assert state.requests.count(f"/v2/app/blobs/{LAYER_DIGEST}") == 3


def test_5xx_until_the_retries_run_out_names_the_image_and_status(
    server: tuple[str, Misbehaving], tmp_path: Path
) -> None:
    host, state = server
    state.actions["/v2/app/manifests/1.0"] = ["503"] * 5
    with pytest.raises(RegistryError, match=rf"{host}/app:1.0: .*manifests/1.0 answered 503"):
        _pull(host, tmp_path / "cache", [])


def test_a_layer_download_that_stalls_times_out_naming_image_and_layer(
    server: tuple[str, Misbehaving], tmp_path: Path
) -> None:
    host, state = server
    state.actions[f"/v2/app/blobs/{LAYER_DIGEST}"] = ["stall"] * 2
    sleeps: list[float] = []
    began = time.monotonic()
    with pytest.raises(RegistryError) as raised:
        _pull(host, tmp_path / "cache", sleeps, retries=2)
    assert time.monotonic() - began < 5 * TIMEOUT * 2  # bounded by the timeout, not hung
    message = str(raised.value)
    assert message.startswith(f"{host}/app:1.0 layer 0 {LAYER_DIGEST}: ")
    assert "connection stalled (no data within the --timeout)" in message
    assert "gave up after 2 attempts" in message
    assert sleeps == [0.01]  # one backoff between the two attempts
    # only the verified config reached the cache: no partial layer, nothing elsewhere
    config_digest = sha256(IMAGE.config()).split(":")[1]
    assert _cache_files(tmp_path / "cache") == [config_digest]
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]


def test_a_registry_that_never_answers_times_out(
    server: tuple[str, Misbehaving], tmp_path: Path
) -> None:
    host, state = server
    state.actions["/v2/app/manifests/1.0"] = ["silent"] * 2
    with pytest.raises(RegistryError, match=r"connection stalled.*gave up after 2 attempts"):
        _pull(host, tmp_path / "cache", [], retries=2)
    assert _cache_files(tmp_path / "cache") == []


def test_a_missing_blob_is_a_404_naming_the_blob(
    server: tuple[str, Misbehaving], tmp_path: Path
) -> None:
    host, state = server
    del IMAGE.blobs[LAYER_DIGEST]
    try:
        with pytest.raises(RegistryError, match=rf"blobs/{LAYER_DIGEST} answered 404.*not exist"):
            _pull(host, tmp_path / "cache", [])
    finally:
        IMAGE.manifest()  # puts the blob back for the other tests
    assert state.requests.count(f"/v2/app/blobs/{LAYER_DIGEST}") == 1  # not retried
