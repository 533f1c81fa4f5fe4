"""Scan only some files of a tree: the files a commit hook passes, or what a branch changed.

Both become an *exclude-all-but* list of gitignore patterns put in front of the user's
own excludes in the scan request, so the walker, ``.gitignore`` handling, coverage
manifest and every scanner work exactly as in a full scan; the user's excludes still
apply after it. The patterns follow git's whitelisting idiom (``/*``, ``!/dir/``,
``/dir/*``, ``!/dir/file``): each ancestor directory of a wanted file is re-included
and its other contents excluded again, so unrelated directories are pruned, not walked.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from secloop.core.errors import UsageError

__all__ = ["changed_files", "only_patterns", "scan_root"]

_GLOB_SPECIAL = re.compile(r"([\\*?\[\]])")
_GIT_TIMEOUT_SECONDS = 60


def _escape(path: str) -> str:
    escaped = _GLOB_SPECIAL.sub(r"\\\1", path)
    return escaped[:-1] + "\\ " if escaped.endswith(" ") else escaped


def only_patterns(wanted: Iterable[str]) -> tuple[str, ...]:
    """Exclude patterns that keep only ``wanted`` (relative ``/`` paths; a trailing ``/``
    marks a directory kept whole). Nothing wanted: everything is excluded."""
    items = sorted({w for w in wanted if w.strip("/")})
    ancestors: set[str] = set()
    for item in items:
        parts = PurePosixPath(item.rstrip("/")).parts
        ancestors.update("/".join(parts[:i]) for i in range(1, len(parts)))
    patterns = ["/*"]
    for directory in sorted(ancestors):
        patterns += [f"!/{_escape(directory)}/", f"/{_escape(directory)}/*"]
    for item in items:
        if item.endswith("/"):
            name = _escape(item.rstrip("/"))
            patterns += [f"!/{name}/", f"!/{name}/**"]
        else:
            patterns.append(f"!/{_escape(item)}")
    return tuple(patterns)


def scan_root(paths: Sequence[Path]) -> tuple[Path, tuple[str, ...] | None]:
    """The directory to walk for ``paths`` and, for several paths, the ones to keep.

    One path is scanned as given (a directory or a file). Several are scanned from
    their deepest common directory with only them kept, so a commit hook that passes
    staged files costs one scan, not one per file.
    """
    if len(paths) == 1:
        return paths[0], None
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    resolved = [p.resolve() for p in paths]
    root = Path(os.path.commonpath(resolved))
    if root.is_file():  # the same file named several times
        return root, None
    wanted = tuple(p.relative_to(root).as_posix() + ("/" if p.is_dir() else "") for p in resolved)
    return _display(root), tuple(w for w in wanted if w not in ("./", "."))


def _display(path: Path) -> Path:
    """Relative to the working directory when inside it: report names stay short."""
    try:
        return path.relative_to(Path.cwd().resolve()) if path != Path.cwd().resolve() else Path()
    except ValueError:
        return path


def _git(directory: Path, *args: str) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(directory), *args],  # noqa: S607 - git from PATH, as users run it
            capture_output=True,
            check=False,
            timeout=_GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise UsageError(f"--changed-since: cannot run git ({err})") from None
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise UsageError(f"--changed-since: git {args[0]} failed: {' '.join(detail)}")
    return completed.stdout.decode("utf-8", "surrogateescape")


def changed_files(root: Path, ref: str) -> tuple[str, ...]:
    """Files under ``root`` changed since ``ref``, relative to ``root``.

    Changed means: in ``git diff REF...HEAD`` (what the branch did since it left REF),
    or modified, staged or untracked in the working tree now. Deleted files are left
    out: there is nothing to scan. UsageError outside a git repository or for a REF
    git does not know.
    """
    if not ref or ref.startswith("-"):
        raise UsageError(f"--changed-since: {ref!r} is not a git revision")
    if not root.is_dir():
        raise UsageError(f"--changed-since needs a directory inside a git repository: {root}")
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    except UsageError:
        raise UsageError(f"--changed-since: {root} is not inside a git repository") from None
    names: set[str] = set()
    for args in (
        ("diff", "--name-only", "-z", f"{ref}...HEAD", "--"),
        ("diff", "--name-only", "-z", "HEAD", "--"),
        ("ls-files", "--others", "--exclude-standard", "-z"),
    ):
        names.update(n for n in _git(top, *args).split("\0") if n)
    base = root.resolve()
    kept: list[str] = []
    for name in sorted(names):
        path = (top / name).resolve()
        if path.is_file() and path.is_relative_to(base):
            kept.append(path.relative_to(base).as_posix())
    return tuple(kept)
