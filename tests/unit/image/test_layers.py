"""The merged view over real layer tars built in the test: whiteouts, opaque
directories, links, hostile names, damaged layers, digests, image selection."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from secloop.core.result import Skipped, SkipReason
from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.interface import DigestMismatchError, ImageError, ImageLimits
from secloop.scan.artifact.image.opener import ImageOptions, LocalImageOpener
from secloop.scan.interface import FileEntry, ScanLimits
from tests.unit.image.builders import (
    Entry,
    Image,
    Layer,
    directory,
    file,
    hardlink,
    layer_tar,
    sha256,
    symlink,
    tar_directory,
    write_docker_archive,
    write_oci_layout,
)


def _open(spec: Path | str, **options: object) -> ImageArtifact:
    opener = LocalImageOpener(ImageOptions(**options))  # type: ignore[arg-type]
    artifact = opener.open(str(spec), limits=ScanLimits(), excludes=(), use_gitignore=False)
    assert isinstance(artifact, ImageArtifact)
    return artifact


def _files(artifact: ImageArtifact) -> dict[str, bytes]:
    return {e.path: artifact.read(e) for e in artifact.walk() if isinstance(e, FileEntry)}


def _skipped(artifact: ImageArtifact) -> dict[str, Skipped]:
    return {s.path: s for s in artifact.walk() if isinstance(s, Skipped)}


BASE = Layer(
    [
        directory("etc"),
        file("etc/passwd", "root:x:0:0\n"),
        file("etc/secret.key", "AKIA-deleted-later"),
        directory("app"),
        file("app/old.txt", "old"),
        directory("app/sub"),
        file("app/sub/deep.txt", "deep"),
        file("keep.txt", "kept"),
    ],
    created_by="ADD rootfs.tar /",
)


def test_whiteouts_and_opaque_directories_hide_lower_layers(tmp_path: Path) -> None:
    top = Layer(
        [
            file("app/new.txt", "new"),  # same layer, before the opaque marker: kept
            file("app/.wh..wh..opq", ""),
            file("etc/.wh.secret.key", ""),
        ],
        created_by="RUN rm /etc/secret.key",
    )
    with _open(write_oci_layout(tmp_path / "oci", [Image([BASE, top])])) as artifact:
        files = _files(artifact)
    assert files == {"etc/passwd": b"root:x:0:0\n", "keep.txt": b"kept", "app/new.txt": b"new"}


def test_whiteout_of_a_directory_and_same_layer_recreation(tmp_path: Path) -> None:
    top = Layer([file("app/sub/fresh.txt", "fresh"), file("app/.wh.sub", "")])
    with _open(write_oci_layout(tmp_path / "oci", [Image([BASE, top])])) as artifact:
        files = _files(artifact)
    assert "app/sub/deep.txt" not in files
    assert files["app/sub/fresh.txt"] == b"fresh"
    assert files["app/old.txt"] == b"old"


def test_each_file_names_the_layer_that_last_wrote_it(tmp_path: Path) -> None:
    top = Layer([file("etc/passwd", "root:x:0:0\napp:x:1000:1000\n")], created_by="RUN useradd")
    image = Image([BASE, top])
    with _open(write_oci_layout(tmp_path / "oci", [image])) as artifact:
        entries = {e.path: e for e in artifact.walk() if isinstance(e, FileEntry)}
        assert artifact.read(entries["etc/passwd"]).endswith(b"app:x:1000:1000\n")
    passwd, keep = entries["etc/passwd"].layer, entries["keep.txt"].layer
    assert passwd is not None
    assert keep is not None
    assert (passwd.index, passwd.created_by, passwd.diff_id) == (1, "RUN useradd", sha256(top.tar))
    assert (keep.index, keep.created_by) == (0, "ADD rootfs.tar /")


def test_hard_links_share_bytes_and_survive_their_target(tmp_path: Path) -> None:
    lower = Layer([file("bin/tool", "ELF-ish"), hardlink("bin/alias", "bin/tool")])
    top = Layer([file("bin/.wh.tool", ""), hardlink("bin/late", "bin/alias")])
    with _open(write_oci_layout(tmp_path / "oci", [Image([lower, top])])) as artifact:
        files = _files(artifact)
    assert files == {"bin/alias": b"ELF-ish", "bin/late": b"ELF-ish"}


def test_links_never_leave_the_image(tmp_path: Path) -> None:
    layer = Layer(
        [
            file("etc/os-release", "ID=alpine\n"),
            symlink("abs", "/etc/os-release"),
            symlink("escape", "../../../../etc/os-release"),
            symlink("to-host-only", "/root/.ssh/id_rsa"),
            symlink("loop-a", "loop-b"),
            symlink("loop-b", "loop-a"),
            hardlink("hard-escape", "../../etc/shadow"),
        ]
    )
    with _open(write_oci_layout(tmp_path / "oci", [Image([layer])])) as artifact:
        skipped = _skipped(artifact)
        assert artifact.resolve_path("escape") == "etc/os-release"
        assert artifact.resolve_path("to-host-only") is None
    assert skipped["abs"].reason is SkipReason.SYMLINK
    assert "etc/os-release inside the image" in skipped["escape"].detail
    assert skipped["to-host-only"].reason is SkipReason.BROKEN_SYMLINK
    assert "too many levels" in skipped["loop-a"].detail
    assert "parent directory traversal" in skipped["hard-escape"].detail
    assert skipped["hard-escape"].reason is SkipReason.UNRESOLVED_LINK


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/passwd", "parent directory traversal"),
        ("/etc/cron.d/evil", "absolute path"),
        ("a/../../x", "parent directory traversal"),
    ],
)
def test_hostile_tar_paths_are_reported_not_indexed(tmp_path: Path, name: str, reason: str) -> None:
    layer = Layer([file("ok.txt", "ok"), Entry(name, b"pwned")])
    with _open(write_oci_layout(tmp_path / "oci", [Image([layer])])) as artifact:
        skipped = _skipped(artifact)
        files = _files(artifact)
    assert files == {"ok.txt": b"ok"}
    assert reason in skipped[name].detail
    assert skipped[name].reason is SkipReason.UNSAFE_PATH
    assert "layer 0 (sha256:" in skipped[name].detail


def test_device_files_are_reported(tmp_path: Path) -> None:
    import tarfile

    layer = Layer(
        [Entry("dev/null", type=tarfile.CHRTYPE), Entry("run/fifo", type=tarfile.FIFOTYPE)]
    )
    with _open(write_oci_layout(tmp_path / "oci", [Image([layer])])) as artifact:
        skipped = _skipped(artifact)
    assert {skipped["dev/null"].reason, skipped["run/fifo"].reason} == {SkipReason.SPECIAL_FILE}


def test_truncated_layer_is_reported_and_the_rest_is_scanned(tmp_path: Path) -> None:
    broken = Layer([file(f"junk/{i}.txt", "x" * 4000) for i in range(50)], created_by="RUN junk")
    image = Image([BASE, broken, Layer([file("top.txt", "top")])])
    archive = write_docker_archive(tmp_path / "image.tar", image)
    unpacked = tmp_path / "unpacked"
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    blob = (unpacked / "layer1/layer.tar").read_bytes()
    (unpacked / "layer1/layer.tar").write_bytes(blob[: len(blob) // 2])
    with _open(unpacked) as artifact:
        files = _files(artifact)
        skipped = _skipped(artifact)
    assert files["top.txt"] == b"top"
    assert files["keep.txt"] == b"kept"
    layer_report = skipped[f"layer 1 ({sha256(broken.tar)})"]
    assert "not fully read" in layer_report.detail
    assert layer_report.reason is SkipReason.CORRUPT


def test_docker_archive_layer_must_match_its_diff_id(tmp_path: Path) -> None:
    image = Image([BASE])
    archive = write_docker_archive(tmp_path / "image.tar", image)
    unpacked = tmp_path / "unpacked"
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "layer0/layer.tar").write_bytes(gzip.compress(layer_tar([file("x", "evil")])))
    with pytest.raises(DigestMismatchError, match="the config says"):
        _open(unpacked)


def test_oci_blob_with_a_wrong_digest_fails_closed(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE])])
    layer_digest = sha256(BASE.blob).split(":")[1]
    blob = layout / "blobs/sha256" / layer_digest
    data = bytearray(blob.read_bytes())
    data[-12] ^= 0xFF  # flip a byte in the gzip trailer area; same size
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatchError, match=layer_digest):
        _files(_open(layout))


def test_oci_truncated_blob_is_a_size_mismatch(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE])])
    blob = layout / "blobs/sha256" / sha256(BASE.blob).split(":")[1]
    blob.write_bytes(blob.read_bytes()[:-40])
    with pytest.raises(DigestMismatchError):
        _open(layout)


def test_tampered_manifest_is_refused(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE])])
    index = json.loads((layout / "index.json").read_text())
    manifest = layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest.write_bytes(manifest.read_bytes().replace(b'"layers"', b'"layers" '))
    with pytest.raises(DigestMismatchError):
        _open(layout)


def test_decompression_bomb_is_bounded(tmp_path: Path) -> None:
    bomb = Layer([file("zeros", b"\0" * 4_000_000)])
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE, bomb])])
    with _open(layout, limits=ImageLimits(max_layer_bytes=1_000_000)) as artifact:
        skipped = _skipped(artifact)
        files = _files(artifact)
    report = skipped[f"layer 1 ({sha256(bomb.tar)})"]
    assert report.reason is SkipReason.LIMIT_REACHED
    assert "keep.txt" in files


def test_multi_arch_index_and_tags(tmp_path: Path) -> None:
    amd = Image([Layer([file("arch", "amd64")])], arch="amd64")
    arm = Image([Layer([file("arch", "arm64")])], arch="arm64")
    layout = write_oci_layout(tmp_path / "oci", [amd, arm], as_index=True)
    with _open(layout) as artifact:
        assert _files(artifact) == {"arch": b"amd64"}
    from secloop.scan.artifact.image.interface import Platform

    with _open(layout, platform=Platform.parse("linux/arm64")) as artifact:
        assert _files(artifact) == {"arch": b"arm64"}
    with pytest.raises(ImageError, match="available: linux/amd64, linux/arm64"):
        _open(layout, platform=Platform.parse("linux/s390x"))
    tagged = write_oci_layout(tmp_path / "tagged", [amd, arm], tags=["v1", "v2"])
    with _open(f"{tagged}:v2") as artifact:
        assert _files(artifact) == {"arch": b"arm64"}
    with pytest.raises(ImageError, match=r"tags: v1, v2"):
        _open(f"{tagged}:v3")


def test_layout_tar_and_docker_archive_open_alike(tmp_path: Path) -> None:
    image = Image([BASE, Layer([file("etc/.wh.secret.key", "")])])
    layout_tar = tar_directory(write_oci_layout(tmp_path / "oci", [image]), tmp_path / "oci.tar")
    archive = write_docker_archive(tmp_path / "docker.tar", image, tag="app:1.0")
    with _open(layout_tar) as from_layout, _open(f"{archive}:app:1.0") as from_archive:
        assert _files(from_layout) == _files(from_archive)
        assert "etc/secret.key" not in _files(from_archive)
        assert from_layout.target.digest is not None


def test_schema_breaking_manifest_is_a_clear_error(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE])])
    (layout / "index.json").write_text('{"schemaVersion": 2, "manifests": [{"digest": "../x"}]}')
    with pytest.raises(ImageError, match="size"):
        _open(layout)
    (layout / "index.json").write_text(
        '{"schemaVersion": 2, "manifests": [{"mediaType": "x", "size": 1, "digest": "../x"}]}'
    )
    with pytest.raises(ImageError, match="not a sha256 or sha512 digest"):
        _open(layout)


def test_exclude_globs_apply_to_image_paths(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "oci", [Image([BASE])])
    opener = LocalImageOpener()
    artifact = opener.open(str(layout), limits=ScanLimits(), excludes=["app/"], use_gitignore=False)
    with artifact:
        paths = {e.path for e in artifact.walk() if isinstance(e, FileEntry)}
        ignored = {s.path for s in artifact.walk() if isinstance(s, Skipped)}
    assert paths == {"etc/passwd", "etc/secret.key", "keep.txt"}
    assert ignored == {"app/old.txt", "app/sub/deep.txt"}
