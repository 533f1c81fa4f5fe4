"""The filesystem artifact: safe walking, .gitignore semantics, limits, nothing dropped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secloop.core.result import Skipped, SkipReason
from secloop.core.target import TargetKind
from secloop.scan.artifact.fs import (
    DirectoryArtifact,
    FilesystemOpener,
    SingleFileArtifact,
    read_bounded,
)
from secloop.scan.interface import ArtifactError, FileEntry, ScanError, ScanLimits


def _write(root: Path, relpath: str, data: str | bytes = "x\n") -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def _walk(root: Path, **kwargs: object) -> tuple[list[str], dict[str, Skipped]]:
    limits = kwargs.pop("limits", ScanLimits())
    artifact = DirectoryArtifact(root, limits=limits, **kwargs)  # type: ignore[arg-type]
    files: list[str] = []
    skipped: dict[str, Skipped] = {}
    for item in artifact.walk():
        if isinstance(item, FileEntry):
            files.append(item.path)
        else:
            skipped[item.path] = item
    return files, skipped


def test_walk_lists_files_in_sorted_relative_posix_paths(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.txt", "a/b/c.txt"):
        _write(tmp_path, name)
    files, skipped = _walk(tmp_path)
    assert files == ["a/b/c.txt", "a/z.txt", "b.txt"]
    assert skipped == {}


def test_gitignore_semantics_nested_and_negated(tmp_path: Path) -> None:
    _write(tmp_path, ".gitignore", "*.log\nbuild/\n!keep.log\n")
    _write(tmp_path, "app.log")
    _write(tmp_path, "keep.log")
    _write(tmp_path, "build/out.txt")
    _write(tmp_path, "src/.gitignore", "secret.txt\n!app.log\n")
    _write(tmp_path, "src/secret.txt")
    _write(tmp_path, "src/app.log")
    _write(tmp_path, "src/main.py")
    files, skipped = _walk(tmp_path)
    assert files == [".gitignore", "keep.log", "src/.gitignore", "src/app.log", "src/main.py"]
    assert skipped["app.log"].detail == "matches .gitignore"
    assert skipped["build"].reason is SkipReason.IGNORED  # the directory once, not its files
    assert "build/out.txt" not in skipped
    assert skipped["src/secret.txt"].detail == "matches src/.gitignore"


def test_gitignore_can_be_disabled_and_git_metadata_is_always_skipped(tmp_path: Path) -> None:
    _write(tmp_path, ".gitignore", "*.log\n")
    _write(tmp_path, "app.log")
    _write(tmp_path, ".git/config")
    files, skipped = _walk(tmp_path, use_gitignore=False)
    assert "app.log" in files
    assert skipped[".git"].detail == "git metadata"


def test_exclude_list(tmp_path: Path) -> None:
    _write(tmp_path, "vendor/lib.js")
    _write(tmp_path, "dist/app.min.js")
    _write(tmp_path, "src/app.js")
    files, skipped = _walk(tmp_path, excludes=["vendor/", "*.min.js"])
    assert files == ["src/app.js"]
    assert skipped["vendor"].detail == "matches the exclude list"
    assert skipped["dist/app.min.js"].reason is SkipReason.IGNORED


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = _write(tmp_path, "outside/secret.txt")
    inside = _write(root, "real.txt")
    (root / "inside-link").symlink_to(inside)
    (root / "escape-link").symlink_to(outside)
    (root / "dir-escape").symlink_to(outside.parent, target_is_directory=True)
    (root / "dangling").symlink_to(root / "missing")
    files, skipped = _walk(root)
    assert files == ["real.txt"]
    assert skipped["inside-link"].reason is SkipReason.SYMLINK
    assert "real.txt" in skipped["inside-link"].detail
    assert skipped["escape-link"].reason is SkipReason.SYMLINK_OUTSIDE
    assert skipped["dir-escape"].reason is SkipReason.SYMLINK_OUTSIDE
    assert skipped["dangling"].reason is SkipReason.BROKEN_SYMLINK


def test_size_file_count_and_depth_limits(tmp_path: Path) -> None:
    _write(tmp_path, "big.bin", b"x" * 2048)
    _write(tmp_path, "a.txt")
    _write(tmp_path, "b.txt")
    _write(tmp_path, "d1/d2/d3/deep.txt")
    limits = ScanLimits(max_file_bytes=1024, max_files=1, max_depth=1)
    files, skipped = _walk(tmp_path, limits=limits)
    assert files == ["a.txt"]
    assert skipped["big.bin"].reason is SkipReason.TOO_LARGE
    assert skipped["b.txt"].reason is SkipReason.LIMIT_REACHED
    assert skipped["d1/d2"].reason is SkipReason.LIMIT_REACHED


def test_special_files_are_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    files, skipped = _walk(tmp_path)
    assert files == []
    assert skipped["pipe"].reason is SkipReason.SPECIAL_FILE


def test_read_is_bounded_and_refuses_a_symlink_swapped_in(tmp_path: Path) -> None:
    _write(tmp_path, "a.txt", "hello")
    artifact = DirectoryArtifact(tmp_path, limits=ScanLimits(max_file_bytes=3))
    with pytest.raises(ScanError, match="larger than the 3 byte limit"):
        artifact.read(FileEntry(path="a.txt", size=5))
    (tmp_path / "swap").symlink_to(tmp_path / "a.txt")
    with pytest.raises(ScanError, match="swap: cannot read"):
        artifact.read(FileEntry(path="swap", size=5))


def test_single_file_target(tmp_path: Path) -> None:
    path = _write(tmp_path, "Dockerfile", "FROM scratch\n")
    artifact = FilesystemOpener().open(
        str(path), limits=ScanLimits(), excludes=(), use_gitignore=True
    )
    assert isinstance(artifact, SingleFileArtifact)
    assert artifact.target.kind is TargetKind.FILE
    (entry,) = list(artifact.walk())
    assert isinstance(entry, FileEntry)
    assert artifact.read(entry) == b"FROM scratch\n"
    tiny = SingleFileArtifact(path, limits=ScanLimits(max_file_bytes=2))
    (skipped,) = list(tiny.walk())
    assert isinstance(skipped, Skipped)
    assert skipped.reason is SkipReason.TOO_LARGE


def test_opener_errors(tmp_path: Path) -> None:
    opener = FilesystemOpener()
    assert not opener.can_open(str(tmp_path / "missing"))
    with pytest.raises(ArtifactError, match="no such file or directory"):
        opener.open(str(tmp_path / "missing"), limits=ScanLimits(), excludes=(), use_gitignore=True)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ArtifactError, match="not a regular file or directory"):
        opener.open(str(tmp_path / "pipe"), limits=ScanLimits(), excludes=(), use_gitignore=True)
    directory = opener.open(str(tmp_path), limits=ScanLimits(), excludes=(), use_gitignore=True)
    with directory as opened:
        assert opened.target.kind is TargetKind.DIRECTORY
        assert opened.target.name == str(tmp_path)


def test_every_walk_meets_the_file_limit_afresh(tmp_path: Path) -> None:
    _write(tmp_path, "a.txt")
    _write(tmp_path, "b.txt")
    artifact = DirectoryArtifact(tmp_path, limits=ScanLimits(max_files=2))
    first = [e.path for e in artifact.walk() if isinstance(e, FileEntry)]
    second = [e.path for e in artifact.walk() if isinstance(e, FileEntry)]
    assert sorted(first) == sorted(second) == ["a.txt", "b.txt"]


def test_read_bounded_reads_on_when_the_file_grew_after_the_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"abcdef")
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> os.stat_result:  # the size seen before the writer appended
        fields = list(real_fstat(fd))
        fields[6] = 2  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", stale_fstat)
    assert read_bounded(path, 10, "growing.log") == b"abcdef"
    with pytest.raises(ScanError, match="larger than the 4 byte limit"):
        read_bounded(path, 4, "growing.log")
