"""zstd-compressed layers (``application/vnd.oci.image.layer.v1.tar+zstd``): read like
gzip ones, bounded the same way against decompression bombs, damaged ones reported,
and a clear error naming the layer where the zstandard package is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
import zstandard

from secloop.core.result import Skipped, SkipReason
from secloop.scan.artifact.image import tarstream
from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.interface import ImageError, ImageLimits
from secloop.scan.artifact.image.opener import ImageOptions, LocalImageOpener
from secloop.scan.interface import FileEntry, ScanLimits
from tests.unit.image.builders import (
    Image,
    Layer,
    file,
    layer_tar,
    sha256,
    write_docker_archive,
    write_oci_layout,
)

BASE = Layer([file("etc/passwd", "root:x:0:0\n"), file("etc/secret.key", "gone")], zstd=True)
TOP = Layer([file("etc/.wh.secret.key", ""), file("srv/app.txt", "hello")], zstd=True)


def _open(spec: Path | str, **options: object) -> ImageArtifact:
    opener = LocalImageOpener(ImageOptions(**options))  # type: ignore[arg-type]
    artifact = opener.open(str(spec), limits=ScanLimits(), excludes=(), use_gitignore=False)
    assert isinstance(artifact, ImageArtifact)
    return artifact


def _files(artifact: ImageArtifact) -> dict[str, bytes]:
    return {e.path: artifact.read(e) for e in artifact.walk() if isinstance(e, FileEntry)}


def _skipped(artifact: ImageArtifact) -> dict[str, Skipped]:
    return {s.path: s for s in artifact.walk() if isinstance(s, Skipped)}


def _blob_path(layout: Path, layer: Layer) -> Path:
    return layout / "blobs/sha256" / sha256(layer.blob).split(":")[1]


def test_zstd_layers_merge_like_gzip_ones(tmp_path: Path) -> None:
    zstd_layout = write_oci_layout(tmp_path / "zstd", [Image([BASE, TOP])])
    gzip_image = Image([Layer(BASE.entries), Layer(TOP.entries)])
    gzip_layout = write_oci_layout(tmp_path / "gzip", [gzip_image])
    assert _blob_path(zstd_layout, BASE).read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    with _open(zstd_layout) as zstd_image, _open(gzip_layout) as gzip_one:
        files = _files(zstd_image)
        assert files == _files(gzip_one)
        # the deleted secret is still read from the lower zstd layer
        deleted = zstd_image.deleted_files()
        assert [(d.entry.path, data) for d, data in zstd_image.read_deleted(deleted)] == [
            ("etc/secret.key", b"gone")
        ]
    assert files == {"etc/passwd": b"root:x:0:0\n", "srv/app.txt": b"hello"}


def test_zstd_layer_in_a_docker_archive(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "image.tar", Image([BASE, TOP]))
    with _open(f"{archive}:app:1.0") as artifact:
        assert _files(artifact)["srv/app.txt"] == b"hello"


def test_several_frames_and_a_skippable_frame_are_all_read(tmp_path: Path) -> None:
    """zstd:chunked layers are many frames plus a skippable frame holding a manifest."""
    tar = layer_tar([file("a.txt", "first frame"), file("b.txt", "x" * 5000)])
    compressor = zstandard.ZstdCompressor()
    skippable = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"meta"
    blob = compressor.compress(tar[:1024]) + skippable + compressor.compress(tar[1024:])

    class Chunked(Layer):
        @property
        def blob(self) -> bytes:
            return blob

    layer = Chunked([file("a.txt", "first frame"), file("b.txt", "x" * 5000)], zstd=True)
    layout = write_oci_layout(tmp_path / "oci", [Image([layer])])
    with _open(layout) as artifact:
        files = _files(artifact)
    assert files == {"a.txt": b"first frame", "b.txt": b"x" * 5000}


def test_zstd_decompression_bomb_is_bounded(tmp_path: Path) -> None:
    bomb = Layer([file("zeros", b"\0" * 4_000_000)], zstd=True)
    assert len(bomb.blob) < 2_000  # a tiny blob that expands 2,000-fold
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE, bomb])])
    with _open(layout, limits=ImageLimits(max_layer_bytes=1_000_000)) as artifact:
        skipped = _skipped(artifact)
        files = _files(artifact)
    report = skipped[f"layer 1 ({sha256(bomb.tar)})"]
    assert report.reason is SkipReason.LIMIT_REACHED
    assert "more than 1000000 bytes" in report.detail
    assert "etc/passwd" in files


def test_corrupt_zstd_layer_is_reported_not_scanned(tmp_path: Path) -> None:
    image = Image([Layer([file("etc/passwd", "root")]), TOP])
    archive = write_docker_archive(tmp_path / "image.tar", image)
    unpacked = tmp_path / "unpacked"
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    # a zstd frame header followed by garbage: the decoder fails on the first block
    (unpacked / "layer1/layer.tar").write_bytes(b"\x28\xb5\x2f\xfd" + b"\xff" * 64)
    with _open(unpacked) as artifact:
        skipped = _skipped(artifact)
        files = _files(artifact)
    report = skipped[f"layer 1 ({sha256(TOP.tar)})"]
    assert report.reason is SkipReason.CORRUPT
    assert "ZstdError" in report.detail
    assert files == {"etc/passwd": b"root"}


def _no_module() -> None:
    return None


def test_missing_zstandard_package_names_the_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE])])
    # as on an install without the extra, where the import finds no module
    monkeypatch.setattr(tarstream, "_zstandard", _no_module)
    with pytest.raises(ImageError) as caught:
        _open(layout)
    message = str(caught.value)
    assert f"layer 0 ({sha256(BASE.tar)})" in message
    assert "zstandard" in message
    assert "secloop[image]" in message
