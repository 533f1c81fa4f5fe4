"""The CI files (action.yml, .pre-commit-hooks.yaml, the GitLab template) agree with the CLI.

Every ``secloop`` flag they use must be one the CLI's ``--help`` lists, every format
they ask for must exist, and every input the action declares must be used (and
every input it uses declared). A real ``pre-commit try-repo`` runs when pre-commit
is installed (the ``test`` extra installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from secloop.cli import cli
from secloop.output.interface import OutputFormat

ROOT = Path(__file__).resolve().parents[3]
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")
#: pre-commit from the test environment (the `test` extra), else from PATH.
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def help_flags(*command: str) -> set[str]:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return set(FLAG.findall(result.output))


def secloop_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(r"\bsecloop (scan|image|db)\b", line)]


def flags_in(line: str) -> set[str]:
    return set(FLAG.findall(line.split("secloop", 1)[1]))


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_action_inputs_steps_and_flags() -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    assert {"path", "scanners", "fail-on", "format"} <= declared
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) == declared
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    scan = next(s for s in steps if s.get("id") == "scan")
    assert "--format sarif" in scan["run"]
    assert "--fail-on" in scan["run"]
    scan_flags = help_flags("scan")
    for line in secloop_lines(scan["run"]):
        assert flags_in(line) <= scan_flags, line
    assert load("action.yml")["inputs"]["fail-on"]["default"] in {"HIGH", "CRITICAL"}


def test_precommit_hooks_use_real_flags_and_pass_filenames() -> None:
    hooks = load(".pre-commit-hooks.yaml")
    by_id = {hook["id"]: hook for hook in hooks}
    main = by_id["secloop"]
    assert main["pass_filenames"] is True
    assert main["language"] == "python"
    assert "--scanners secrets,misconfig" in main["entry"]
    scan_flags = help_flags("scan")
    for hook in hooks:
        assert hook["entry"].startswith("secloop scan ")
        assert flags_in(hook["entry"]) <= scan_flags


def test_gitlab_template_reports_and_flags() -> None:
    template = load("ci/gitlab/secloop.gitlab-ci.yml")
    reports = {
        name: job["artifacts"]["reports"]
        for name, job in template.items()
        if isinstance(job, dict) and "artifacts" in job
    }
    kinds = {kind for report in reports.values() for kind in report}
    assert kinds == {
        "sast",
        "secret_detection",
        "dependency_scanning",
        "container_scanning",
        "codequality",
    }
    text = (ROOT / "ci/gitlab/secloop.gitlab-ci.yml").read_text(encoding="utf-8")
    formats = {f.value for f in OutputFormat}
    assert set(re.findall(r"--format ([\w-]+)", text)) <= formats
    known = {c: help_flags(c) for c in ("scan", "image")} | {"db": help_flags("db", "update")}
    for line in secloop_lines(text):
        command = re.search(r"secloop (scan|image|db)", line)
        assert command is not None
        assert flags_in(line) <= known[command.group(1)], line


def snapshot_repo(tmp_path: Path) -> Path:
    """The working tree (tracked and new files) committed in a throwaway repository:
    pre-commit installs hooks from a commit, and this tree's changes are not committed."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    target = tmp_path / "secloop-src"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if name.startswith((".venv/", "tests/fixtures/")) or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run([*git, *args], cwd=target, check=True, capture_output=True)
    return target


@pytest.mark.integration
@pytest.mark.skipif(
    not (PRE_COMMIT.exists() or shutil.which("pre-commit")), reason="pre-commit is not installed"
)
def test_pre_commit_try_repo_blocks_a_staged_secret(tmp_path: Path) -> None:
    executable = str(PRE_COMMIT) if PRE_COMMIT.exists() else str(shutil.which("pre-commit"))
    source = snapshot_repo(tmp_path)
    work = tmp_path / "work"
    (work / "conf").mkdir(parents=True)
    token = "ghp_" + "R8kTq2Lm9ZxW4vN7bY3cP6sD1fH5jK0aE2uQ"
    (work / "conf/app.env").write_text(f"GITHUB_TOKEN={token}\n")
    (work / "README.md").write_text("hello\n")
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [executable, "try-repo", str(source), "secloop"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "SECRET-GITHUB-PAT" in run.stdout
    assert "conf/app.env" in run.stdout
    (work / "conf/app.env").write_text("GITHUB_TOKEN=${GITHUB_TOKEN}\n")
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    clean = subprocess.run(
        [executable, "try-repo", str(source), "secloop"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
