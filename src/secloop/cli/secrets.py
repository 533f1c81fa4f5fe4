"""``secloop secrets``: git history scanning (``--git``) and the baseline ``audit``.

Thin, like every verb: options in, library call, report out. The library modules
(scan engine, YAML, pydantic) load inside the functions so ``import secloop.cli``
stays light (tests/unit/test_imports.py).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from secloop.cli.options import ScanOptions
from secloop.cli.scan import scan_params

if TYPE_CHECKING:
    from secloop.cli.run import Effective
    from secloop.core.finding import Finding
    from secloop.core.result import ScanResult
    from secloop.scan.engine import ProgressSink
    from secloop.scan.secrets.audit import Decision

__all__ = ["secrets_group"]


@click.group("secrets", invoke_without_command=True)
@click.option(
    "--git",
    "git_path",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Scan every line added in the history of the git repository at PATH.",
)
@click.option("--since", metavar="DATE", help="Only commits after DATE (git's --since syntax).")
@click.option(
    "--branch", metavar="REF", help="Only commits reachable from REF. [default: all refs]"
)
@click.option("--max-commits", type=click.IntRange(min=1), metavar="N", help="At most N commits.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    help="Stop reading history after this long and report what was read.",
)
@click.pass_context
def secrets_group(ctx: click.Context, /, git_path: Path | None, **options: object) -> int | None:
    """Find committed secrets in git history, and audit a report's secrets.

    \b
    secloop secrets --git .                  every commit on every ref
    secloop secrets --git . --since 2024-01-01 --branch main -f sarif
    secloop secrets --git . --verify         also ask providers which are live
    secloop secrets audit report.json        mark false positives interactively

    Exit codes are those of ``secloop scan``.
    """
    if ctx.invoked_subcommand is not None:
        return None
    if git_path is None:
        raise click.UsageError("give --git PATH, or a subcommand (see --help)")
    return _run_git(git_path, options)


#: The report, baseline and gate options of ``secloop scan`` apply to history scans as is.
secrets_group.params.extend(
    scan_params(
        frozenset(
            {
                "severity",
                "fmt",
                "output",
                "exit_code",
                "fail_on",
                "baseline",
                "ignore_file",
                "allow_empty",
                "quiet",
                "debug",
                "verify",
            }
        )
    )
)


def _run_git(repo: Path, options: dict[str, object]) -> int:
    from secloop.cli.run import run_scan_command
    from secloop.scan.secrets.history import GitScanOptions

    git = GitScanOptions(
        repo=repo,
        since=_text(options.pop("since", None)),
        branch=_text(options.pop("branch", None)),
        max_commits=_int(options.pop("max_commits", None)),
        timeout_seconds=_float(options.pop("timeout", None)),
    )

    def scan(effective: Effective, _progress: ProgressSink | None) -> ScanResult:
        from secloop.scan.secrets.history import history_result, scan_git_history
        from secloop.scan.secrets.verify import VerificationService, default_verifiers

        started = datetime.now(UTC)
        verification = VerificationService(default_verifiers()) if effective.verify else None
        walked = scan_git_history(git, verification=verification)
        return history_result(git, walked, started_at=started, finished_at=datetime.now(UTC))

    return run_scan_command(ScanOptions.from_click(repo, options), scan=scan)


def _text(value: object) -> str | None:
    return str(value) if value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@secrets_group.command("audit")
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--ignore-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path(".secloopignore.yaml"),
    show_default=True,
    help="Where false positives are written (created if missing).",
)
@click.option("--user", metavar="NAME", help="Auditor named in each reason. [default: login name]")
def audit_command(report: Path, ignore_file: Path, user: str | None) -> int:
    """Mark each secret of a secloop JSON REPORT as real (y) or false positive (n).

    False positives are added to the ignore file by fingerprint, with the reason
    "false positive, audited by USER on DATE". s skips a secret, q stops (what was
    decided so far is written).
    """
    from secloop.output.json_format import load_result
    from secloop.policy.suppressions import load_ignore_file
    from secloop.scan.secrets.audit import (
        audit_findings,
        audit_reason,
        candidates,
        write_suppressions,
    )

    result = load_result(report.read_bytes(), source=str(report))
    ignore = load_ignore_file(ignore_file) if ignore_file.is_file() else None
    pending = candidates(result, ignore)
    if not pending:
        click.echo("No secret left to audit.")
        return 0
    summary = audit_findings(pending, _ask)
    reason = audit_reason(user or getpass.getuser(), datetime.now(UTC).date())
    write_suppressions(ignore_file, summary.false_positives, reason)
    click.echo(
        f"{summary.real} real, {len(summary.false_positives)} false positive(s) written to "
        f"{ignore_file}, {summary.skipped} skipped, {summary.remaining} not reviewed."
    )
    return 0


def _ask(finding: Finding, position: int, total: int) -> Decision:
    from secloop.scan.secrets.audit import Decision

    click.echo("")
    click.echo(f"[{position}/{total}] {finding.rule_id} ({finding.severity.label})")
    click.echo(f"  {finding.location.display}")
    if finding.evidence:
        click.echo(f"  {finding.evidence}")
    click.echo(f"  {finding.message}")
    try:
        answer = click.prompt(
            "Real secret? y(es) / n(o, false positive) / s(kip) / q(uit)",
            type=click.Choice([d.value for d in Decision]),
            show_choices=False,
        )
    except click.Abort:  # end of input or Ctrl-C: keep what was decided so far
        click.echo("")
        return Decision.QUIT
    return Decision(answer)
