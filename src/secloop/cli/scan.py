"""``secloop scan PATH``: scan a directory or file, report, and gate."""

from __future__ import annotations

from pathlib import Path

import click

from secloop.cli.options import ScanOptions

FORMAT_CHOICES = (
    *("table", "json", "sarif", "junit", "html", "cyclonedx", "spdx"),
    *("gitlab-sast", "gitlab-secret-detection", "gitlab-dependency-scanning"),
    *("gitlab-container-scanning", "codequality"),
)
SEVERITY_CHOICES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@click.command("scan")
@click.argument(
    "paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--scanners",
    metavar="LIST",
    help="Comma-separated scanners or kinds to run (default: all). E.g. secret,misconfig.",
)
@click.option(
    "--severity",
    metavar="LIST",
    help="Comma-separated severities to report, e.g. HIGH,CRITICAL (default: all).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES, case_sensitive=False),
    help="Report format.  [default: table]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--exit-code",
    type=click.IntRange(0, 255),
    help="Exit code when findings reach the gate; 0 reports without failing. [default: 1]",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_CHOICES, case_sensitive=False),
    help="Lowest severity that fails the gate.  [default: UNKNOWN (any finding)]",
)
@click.option(
    "--fail-on-kev",
    is_flag=True,
    default=None,
    help="Fail when a vulnerability's CVE (or an alias) is in CISA KEV. Reads the "
    "local cache of `secloop intel update`; alone, only this fails the gate.",
)
@click.option(
    "--epss-above",
    type=click.FloatRange(0.0, 1.0),
    metavar="PROBABILITY",
    help="Fail when a vulnerability's EPSS probability is at least this, e.g. 0.1 "
    "(local cache of `secloop intel update`); alone, only this fails the gate.",
)
@click.option(
    "--ignore-unfixed",
    is_flag=True,
    default=None,
    help="Leave out vulnerabilities that have no fixed version.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A previous JSON report: report and gate on new findings only.",
)
@click.option(
    "--ignore-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Suppressions file.  [default: .secloopignore.yaml in PATH, else here]",
)
@click.option(
    "--vex",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="CycloneDX VEX or OpenVEX file: suppress what it says does not affect you.",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Scan only files changed since git REF (committed, staged, modified or untracked).",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip paths matching this gitignore-style glob (repeatable).",
)
@click.option(
    "--no-gitignore", is_flag=True, default=None, help="Scan files that .gitignore lists."
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    metavar="BYTES",
    help="Skip files larger than this.  [default: 10485760]",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    default=None,
    help="Exit 0 instead of 3 when nothing at all could be scanned.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Configuration file.  [default: secloop.yaml or pyproject.toml here]",
)
@click.option(
    "--upload",
    "upload_url",
    metavar="URL",
    help="Also send the JSON report to a secloop server (token: $SECLOOP_SERVER_TOKEN).",
)
@click.option("--project", metavar="NAME", help="Server project for --upload.")
@click.option(
    "--policy",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    metavar="DIR",
    help="Custom Rego policies (conftest-compatible) in DIR; repeatable. Enables the rego scanner.",
)
@click.option(
    "--namespace",
    multiple=True,
    metavar="PACKAGE",
    help="Rego package whose deny/violation/warn rules run (repeatable).  [default: main]",
)
@click.option(
    "--pss-level",
    type=click.Choice(("baseline", "restricted"), case_sensitive=False),
    help="Report each workload's Pod Security Standards failures at this level "
    "(a scanned Namespace's enforce label takes precedence).",
)
@click.option(
    "--pss-version",
    metavar="v1.N|latest",
    help="Pod Security Standards policy version for --pss-level.  [default: latest]",
)
@click.option(
    "--allowed-registry",
    multiple=True,
    metavar="HOST[/PATH]",
    help="Report images and base images from registries outside this allowlist (repeatable).",
)
@click.option(
    "--strict-render",
    is_flag=True,
    default=None,
    help="Fail (exit 3) when a Kustomize overlay or Helm chart cannot be rendered.",
)
@click.option(
    "--deny-license",
    multiple=True,
    metavar="LICENSE",
    help="Report packages whose declared licence is this SPDX id or glob, e.g. "
    "'GPL-3.0-*' (repeatable; adds to licenses.deny). Enables the license scanner.",
)
@click.option(
    "--license-unknown",
    is_flag=True,
    default=None,
    help="With a licence policy, also report packages whose licence is unknown.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Ask each found secret's provider whether it is live (GitHub, GitLab, Slack, "
    "Stripe, npm); live secrets become CRITICAL. Sends the secrets to those providers.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no warnings.")
@click.option("--debug", is_flag=True, help="Verbose logs and tracebacks.")
def scan_command(paths: tuple[Path, ...], **options: object) -> int:
    """Scan PATH (a directory, a file, or a CycloneDX / SPDX JSON SBOM) and report.

    Several PATHs (the files a commit hook passes) are scanned together, as a
    selection of their common directory.

    \b
    Exit codes:
      0  no finding at or above the gate
      1  findings at or above the gate (see --fail-on, --exit-code)
      2  usage error
      3  tool failure, or nothing could be scanned (see --allow-empty)
    """
    from secloop.cli.run import run_scan_command
    from secloop.scan.selection import scan_root

    root, only = scan_root(paths)  # several PATHs (a commit hook's files): one scan
    return run_scan_command(ScanOptions.from_click(root, {**options, "only": only}))


def scan_params(names: frozenset[str]) -> list[click.Parameter]:
    """The scan command's own Parameter objects named in ``names``, for verbs that share
    its pipeline (``image``, ``rootfs``, ``secrets --git``): one definition, so help text,
    types and defaults cannot drift."""
    return [p for p in scan_command.params if p.name in names]
