"""Several PATHs and ``--changed-since``: exclude-all-but selections of a tree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from secloop.core.errors import UsageError
from secloop.scan.artifact.fs import DirectoryArtifact
from secloop.scan.interface import FileEntry, ScanLimits
from secloop.scan.selection import changed_files, only_patterns, scan_root
from tests.unit.cli.conftest import RunCli


def walked(root: Path, patterns: tuple[str, ...]) -> list[str]:
    artifact = DirectoryArtifact(root, limits=ScanLimits(), excludes=patterns)
    return [e.path for e in artifact.walk() if isinstance(e, FileEntry)]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("a/b/c.py", "a/b/d.py", "a/z.py", "x/y.py", "top.py", "d/e/f.py", "we[ir]d *.py"):
        path = tmp_path / "tree" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("print(1)\n")
    return tmp_path / "tree"


def test_only_patterns_keep_exactly_the_selection(tree: Path) -> None:
    patterns = only_patterns(["a/b/c.py", "d/", "we[ir]d *.py"])
    assert sorted(walked(tree, patterns)) == ["a/b/c.py", "d/e/f.py", "we[ir]d *.py"]
    assert walked(tree, only_patterns([])) == []


def test_user_excludes_still_apply_after_the_selection(tree: Path) -> None:
    patterns = (*only_patterns(["a/b/c.py", "top.py"]), "top.py")
    assert walked(tree, patterns) == ["a/b/c.py"]


def test_scan_root_for_several_paths(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    assert scan_root([Path("a")]) == (Path("a"), None)
    root, only = scan_root([Path("a/b/c.py"), Path("a/z.py")])
    assert (root, only) == (Path("a"), ("b/c.py", "z.py"))
    assert scan_root([Path("top.py"), Path("d")]) == (Path(), ("top.py", "d/"))
    with pytest.raises(UsageError, match="no such file"):
        scan_root([Path("top.py"), Path("missing.py")])


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_changed_files_since_a_ref(tree: Path) -> None:
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "base")
    git(tree, "checkout", "-qb", "feature")
    (tree / "x/y.py").write_text("print(2)\n")
    git(tree, "commit", "-qam", "change")
    (tree / "top.py").write_text("print(3)\n")  # modified, not committed
    (tree / "new.py").write_text("print(4)\n")  # untracked
    (tree / "a/z.py").unlink()  # deleted: nothing to scan
    assert changed_files(tree, "main") == ("new.py", "top.py", "x/y.py")
    assert changed_files(tree / "x", "main") == ("y.py",)
    with pytest.raises(UsageError, match="git diff failed"):
        changed_files(tree, "no-such-ref")
    with pytest.raises(UsageError, match="not a git revision"):
        changed_files(tree, "--output=/tmp/x")


def test_changed_since_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not inside a git repository"):
        changed_files(tmp_path, "main")


def test_cli_several_paths_and_changed_since(
    run_cli: RunCli, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "x/y.txt").write_text("SECURITY-MARKER\n")  # the fake scanner reads .txt
    (tree / "top.txt").write_text("SECURITY-MARKER\n")
    (tree / "a/z.txt").write_text("clean\n")
    monkeypatch.chdir(tree)
    outcome = run_cli("scan", "x/y.txt", "a/z.txt", "-f", "json")
    assert outcome.code == 1
    document = json.loads(outcome.out)
    assert [f["location"]["path"] for f in document["findings"]] == ["x/y.txt"]
    outside = run_cli("scan", ".", "--changed-since", "main")
    assert outside.code == 2
    assert "not inside a git repository" in outside.err
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "base")
    nothing = run_cli("scan", ".", "--changed-since", "main", "-f", "json")
    assert nothing.code == 0  # nothing changed: an empty selection is not a failure
    (tree / "top.txt").write_text("SECURITY-MARKER again\n")
    changed = run_cli("scan", ".", "--changed-since", "main", "-f", "json")
    assert [f["location"]["path"] for f in json.loads(changed.out)["findings"]] == ["top.txt"]
