"""The registry source against the in-memory fake: auth flows, retries, verification,
the blob cache, reference parsing and Docker client credentials."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.auth import Credentials, docker_config_credentials
from secloop.scan.artifact.image.cache import BlobCache
from secloop.scan.artifact.image.interface import (
    DigestMismatchError,
    ImageError,
    RegistryAuthError,
    RegistryError,
)
from secloop.scan.artifact.image.reference import DOCKER_HUB, ImageReference, parse_reference
from secloop.scan.artifact.image.registry import RegistrySettings, RegistrySource
from secloop.scan.interface import FileEntry, ScanLimits
from tests.unit.image.builders import Image, Layer, file, sha256
from tests.unit.image.fake_registry import HOST, REALM, FakeRegistry

IMAGE = Image([Layer([file("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n")])])


def _scan(
    fake: FakeRegistry,
    tmp_path: Path,
    ref: str = f"{HOST}/app:1.0",
    credentials: Credentials | None = None,
    sleeps: list[float] | None = None,
) -> dict[str, bytes]:
    source = RegistrySource(
        parse_reference(ref),
        name=ref,
        transport=fake,
        cache=BlobCache(tmp_path / "cache"),
        settings=RegistrySettings(credentials=credentials, backoff_seconds=0.01),
        sleep=(sleeps if sleeps is not None else []).append,
    )
    with ImageArtifact(source, limits=ScanLimits()) as artifact:
        return {e.path: artifact.read(e) for e in artifact.walk() if isinstance(e, FileEntry)}


def test_anonymous_pull_over_https(tmp_path: Path) -> None:
    fake = FakeRegistry()
    fake.push("app", "1.0", IMAGE)
    assert _scan(fake, tmp_path) == {"etc/os-release": b"ID=alpine\nVERSION_ID=3.19.1\n"}
    assert all(url.startswith(f"https://{HOST}/v2/app/") for url, _ in fake.requests)


def test_bearer_token_flow_sends_credentials_only_to_the_realm(tmp_path: Path) -> None:
    fake = FakeRegistry(auth="bearer")
    fake.push("app", "1.0", IMAGE)
    assert _scan(fake, tmp_path, credentials=Credentials("alice", "s3cret"))
    token_requests = [(u, h) for u, h in fake.requests if u.startswith(REALM)]
    assert len(token_requests) == 1
    assert "scope=repository%3Aapp%3Apull" in token_requests[0][0]
    registry_auth = {
        h.get("Authorization") for u, h in fake.requests if u.startswith(f"https://{HOST}")
    }
    assert registry_auth <= {None, "Bearer good-token"}


def test_basic_auth_and_refused_credentials(tmp_path: Path) -> None:
    fake = FakeRegistry(auth="basic")
    fake.push("app", "1.0", IMAGE)
    assert _scan(fake, tmp_path, credentials=Credentials("alice", "s3cret"))
    with pytest.raises(RegistryAuthError, match="401"):
        _scan(fake, tmp_path / "other", credentials=Credentials("alice", "wrong"))
    with pytest.raises(RegistryAuthError):
        _scan(fake, tmp_path / "none")


def test_transient_failures_are_retried_with_backoff(tmp_path: Path) -> None:
    fake = FakeRegistry()
    fake.push("app", "1.0", IMAGE)
    fake.failures[f"https://{HOST}/v2/app/manifests/1.0"] = [503, 429, 0]
    sleeps: list[float] = []
    assert _scan(fake, tmp_path, sleeps=sleeps)
    assert sleeps == [0.01, 1.0, 0.04]  # exponential, Retry-After honoured


def test_persistent_errors_name_the_image(tmp_path: Path) -> None:
    fake = FakeRegistry()
    fake.push("app", "1.0", IMAGE)
    fake.failures[f"https://{HOST}/v2/app/manifests/1.0"] = [500] * 10
    with pytest.raises(RegistryError, match=rf"{HOST}/app:1.0: .* answered 500"):
        _scan(fake, tmp_path)
    with pytest.raises(RegistryError, match="MANIFEST_UNKNOWN"):
        _scan(fake, tmp_path, ref=f"{HOST}/app:missing")


def test_pinned_digest_and_tampered_blobs(tmp_path: Path) -> None:
    fake = FakeRegistry()
    digest = fake.push("app", "1.0", IMAGE)
    assert _scan(fake, tmp_path, ref=f"{HOST}/app@{digest}")
    layer_digest = sha256(IMAGE.layers[0].blob)
    tampered = bytearray(fake.blobs[layer_digest])
    tampered[-1] ^= 0xFF
    fake.blobs[layer_digest] = bytes(tampered)
    with pytest.raises(DigestMismatchError, match="digest is"):
        _scan(fake, tmp_path / "fresh-cache")
    assert not list((tmp_path / "fresh-cache").rglob(layer_digest.split(":")[1]))


def test_manifest_that_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    fake = FakeRegistry()
    digest = fake.push("app", "1.0", IMAGE)
    fake.manifests[f"app@{digest}"] = fake.manifests[f"app@{digest}"] + b" "
    with pytest.raises(DigestMismatchError, match="manifest"):
        _scan(fake, tmp_path, ref=f"{HOST}/app@{digest}")


def test_blob_cache_serves_the_second_scan(tmp_path: Path) -> None:
    fake = FakeRegistry()
    fake.push("app", "1.0", IMAGE)
    _scan(fake, tmp_path)
    fake.requests.clear()
    _scan(fake, tmp_path)
    assert [u for u, _ in fake.requests if "/blobs/" in u] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpine", ImageReference(DOCKER_HUB, "library/alpine", "latest")),
        ("docker.io/library/alpine:3.19", ImageReference(DOCKER_HUB, "library/alpine", "3.19")),
        ("localhost:5000/team/app:v1", ImageReference("localhost:5000", "team/app", "v1")),
        (
            "ghcr.io/org/app@sha256:" + "a" * 64,
            ImageReference("ghcr.io", "org/app", None, "sha256:" + "a" * 64),
        ),
    ],
)
def test_reference_parsing(text: str, expected: ImageReference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["UPPER/case", "app:bad tag", "app@sha256:short", "a//b"])
def test_invalid_references(text: str) -> None:
    with pytest.raises(ImageError):
        parse_reference(text)


def test_docker_config_credentials(tmp_path: Path) -> None:
    config = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:pw").decode()},
            "registry.test": {"username": "alice", "password": "s3cret"},
        }
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {"DOCKER_CONFIG": str(tmp_path)}
    assert docker_config_credentials("registry.test", env) == Credentials("alice", "s3cret")
    assert docker_config_credentials(DOCKER_HUB, env) == Credentials("hub", "pw")
    assert docker_config_credentials("other.test", env) is None
    assert "s3cret" not in repr(Credentials("alice", "s3cret"))
