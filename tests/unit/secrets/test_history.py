"""Git history scanning against real repositories built with ``git init`` in tmp dirs."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.secrets import secrets_group
from secloop.core.result import Failed, Scanned, Skipped, SkipReason
from secloop.core.target import TargetKind
from secloop.scan.secrets.history import (
    GitHistoryError,
    GitScanOptions,
    git_log_argv,
    history_result,
    scan_git_history,
)

GITHUB = "ghp_" + "FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Yf2"
STRIPE = "sk_live_" + "FAKE4eC39HqLyjWDarjtT1zdp7dc9Q2xRt"


class Repo:
    """A throwaway repository with fixed identities and clocks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        self._tick = 0
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Lovelace",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Lovelace",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "GIT_AUTHOR_DATE": f"2024-01-{10 + self._tick:02d}T12:00:00+00:00",
            "GIT_COMMITTER_DATE": f"2024-01-{10 + self._tick:02d}T12:00:00+00:00",
        }
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode().strip()

    def commit(self, message: str, files: dict[str, bytes | None]) -> str:
        for name, data in files.items():
            path = self.root / name
            if data is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self._tick += 1
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def _scan(repo: Repo, **kwargs: object) -> list[tuple[str, str | None, int | None]]:
    walked = scan_git_history(GitScanOptions(repo=repo.root, **kwargs))  # type: ignore[arg-type]
    return [(f.rule_id, f.location.path, f.location.start_line) for f in walked.findings]


def test_secret_added_then_deleted_is_still_found(repo: Repo) -> None:
    first = repo.commit("add config", {"app/config.py": f"A = 1\nTOKEN = '{GITHUB}'\n".encode()})
    repo.commit("remove token", {"app/config.py": b"A = 1\n"})
    walked = scan_git_history(GitScanOptions(repo=repo.root))
    (finding,) = walked.findings
    assert finding.rule_id == "SECRET-GITHUB-PAT"
    assert (finding.location.path, finding.location.start_line) == ("app/config.py", 2)
    assert f"added in commit {first} by Ada Lovelace on 2024-01-10T12:00:00+00:00" in (
        finding.message
    )
    assert GITHUB not in repr(finding)
    assert finding.anchor.startswith("SECRET-GITHUB-PAT:sha256:")
    assert walked.commits == 2


def test_line_numbers_follow_the_hunk(repo: Repo) -> None:
    repo.commit("base", {"a.txt": b"".join(b"line %d\n" % i for i in range(1, 21))})
    lines = [b"line %d\n" % i for i in range(1, 21)]
    lines.insert(14, f"stripe = '{STRIPE}'\n".encode())
    repo.commit("insert", {"a.txt": b"".join(lines)})
    assert _scan(repo) == [("SECRET-STRIPE-LIVE-KEY", "a.txt", 15)]


def test_first_seen_commit_and_dedup_across_commits(repo: Repo) -> None:
    first = repo.commit("one", {"a.env": f"GH={GITHUB}\n".encode()})
    repo.commit("two", {"b/b.env": f"GH={GITHUB}\n".encode()})
    repo.commit("three", {"c.env": f"X=1\nGH={GITHUB}\n".encode()})
    walked = scan_git_history(GitScanOptions(repo=repo.root))
    (finding,) = walked.findings
    assert finding.location.path == "a.env"
    assert first in finding.message
    assert "added again in 2 later commit(s)" in finding.message


def test_binary_diffs_are_skipped_and_counted(repo: Repo) -> None:
    sha = repo.commit("blob", {"data/key.bin": b"\x00\x01" + GITHUB.encode() + b"\x00"})
    walked = scan_git_history(GitScanOptions(repo=repo.root))
    assert walked.findings == []
    assert walked.binary_skipped == 1
    assert walked.binary_listed == [f"{sha[:12]}:data/key.bin"]


def test_an_added_line_that_looks_like_a_file_header(repo: Repo) -> None:
    repo.commit("weird", {"notes.md": f"++ token {GITHUB}\n".encode()})
    assert _scan(repo) == [("SECRET-GITHUB-PAT", "notes.md", 1)]


def test_long_lines_are_cut_and_counted(repo: Repo) -> None:
    repo.commit("long", {"min.js": b"x" * 5000 + b"\n" + f"t='{GITHUB}'\n".encode()})
    walked = scan_git_history(GitScanOptions(repo=repo.root, max_line_bytes=1024))
    assert walked.truncated_lines == 1
    assert [(f.location.path, f.location.start_line) for f in walked.findings] == [("min.js", 2)]


def test_branch_since_and_max_commits(repo: Repo) -> None:
    repo.commit("main", {"m.env": f"GH={GITHUB}\n".encode()})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature", {"f.env": f"S={STRIPE}\n".encode()})
    repo.git("checkout", "-q", "main")
    assert {r for r, _, _ in _scan(repo)} == {"SECRET-GITHUB-PAT", "SECRET-STRIPE-LIVE-KEY"}
    assert [r for r, _, _ in _scan(repo, branch="main")] == ["SECRET-GITHUB-PAT"]
    assert [r for r, _, _ in _scan(repo, branch="feature", max_commits=1)] == [
        "SECRET-STRIPE-LIVE-KEY"
    ]
    assert _scan(repo, since="2030-01-01") == []


def test_argv_refuses_an_option_as_ref(tmp_path: Path) -> None:
    argv = git_log_argv(GitScanOptions(repo=tmp_path))
    assert {"--unified=0", "--no-ext-diff", "--no-textconv", "--no-color", "--all"} <= set(argv)
    with pytest.raises(GitHistoryError):
        git_log_argv(GitScanOptions(repo=tmp_path, branch="--output=/tmp/x"))


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitHistoryError, match="cannot read git history"):
        scan_git_history(GitScanOptions(repo=tmp_path))


def test_corrupt_object_keeps_what_was_read(repo: Repo) -> None:
    repo.commit("one", {"a.env": f"GH={GITHUB}\n".encode()})
    repo.commit("two", {"b.env": f"S={STRIPE}\n".encode()})
    blob = repo.git("rev-parse", "HEAD~1:a.env")  # the oldest commit's file
    obj = repo.root / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    walked = scan_git_history(GitScanOptions(repo=repo.root))
    assert walked.error is not None
    assert [f.rule_id for f in walked.findings] == ["SECRET-STRIPE-LIVE-KEY"]
    result = history_result(
        GitScanOptions(repo=repo.root),
        walked,
        started_at=_now(),
        finished_at=_now(),
    )
    assert any(isinstance(c, Failed) for c in result.coverage)


def _now() -> datetime:
    return datetime(2024, 2, 1, tzinfo=UTC)


def test_history_result_is_a_standard_scan_result(repo: Repo) -> None:
    repo.commit("blob", {"k.bin": b"\x00" * 10 + b"x", "a.env": f"GH={GITHUB}\n".encode()})
    options = GitScanOptions(repo=repo.root)
    result = history_result(
        options, scan_git_history(options), started_at=_now(), finished_at=_now()
    )
    assert result.target.kind is TargetKind.GIT_REPOSITORY
    assert [f.rule_id for f in result.findings] == ["SECRET-GITHUB-PAT"]
    assert result.findings[0].fingerprint.endswith(":1")
    assert "SECRET-GITHUB-PAT" in result.rules
    assert isinstance(result.coverage[0], Scanned)
    assert [c.reason for c in result.coverage if isinstance(c, Skipped)] == [SkipReason.BINARY]
    assert any("binary" in w for w in result.warnings)


def test_cli_git_json_report_and_gate(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sha = repo.commit("one", {"a.env": f"GH={GITHUB}\n".encode()})
    out = tmp_path / "report.json"
    runner = CliRunner()
    args = ["--git", str(repo.root), "-f", "json", "-o", str(out), "-q"]
    result = runner.invoke(secrets_group, args, standalone_mode=False)
    assert result.exception is None, result.output
    assert result.return_value == 1
    report = json.loads(out.read_text())
    (finding,) = report["findings"]
    assert finding["rule_id"] == "SECRET-GITHUB-PAT"
    assert sha in finding["message"]
    assert GITHUB not in out.read_text()
    result = runner.invoke(secrets_group, [*args, "--exit-code", "0"], standalone_mode=False)
    assert result.return_value == 0


def test_cli_without_git_is_a_usage_error() -> None:
    result = CliRunner().invoke(secrets_group, [])
    assert result.exit_code == 2
