"""The ``secloop`` command. Thin: parse options, call the library, render, exit.

Importing this package must stay cheap (tests/unit/test_imports.py): each verb
imports the library it needs inside its function.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from secloop import __version__
from secloop.cli.db import db_group
from secloop.cli.image import image_command, rootfs_command
from secloop.cli.intel import intel_group
from secloop.cli.runtime import detect_command, rules_group, sensor_command
from secloop.cli.scan import scan_command
from secloop.cli.secrets import secrets_group
from secloop.cli.server import server_command
from secloop.core.errors import EXIT_TOOL_FAILURE, EXIT_USAGE, Error

__all__ = ["cli", "main"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="secloop")
def cli() -> None:
    """secloop: security across the DevOps loop.

    Scan source trees for misconfigurations, secrets and vulnerable dependencies,
    report in table, JSON, SARIF, JUnit or HTML, and gate CI on the result.
    """


@cli.command("version")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text, or JSON for tools.",
)
def version_command(fmt: str) -> None:
    """Print the version of secloop and of the Python running it."""
    import json
    import platform

    if fmt == "json":
        info = {"secloop": __version__, "python": platform.python_version()}
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(f"secloop {__version__} (Python {platform.python_version()})")


cli.add_command(scan_command)
cli.add_command(db_group)
cli.add_command(image_command)
cli.add_command(rootfs_command)
cli.add_command(detect_command)
cli.add_command(rules_group)
cli.add_command(sensor_command)
cli.add_command(secrets_group)
cli.add_command(server_command)
cli.add_command(intel_group)


def _debug_requested(argv: Sequence[str]) -> bool:
    return "--debug" in argv


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and exit with its code; secloop errors become one-line messages."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=args, prog_name="secloop", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_TOOL_FAILURE)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_USAGE if isinstance(err, click.UsageError) else err.exit_code)
    except Error as err:
        if _debug_requested(args):
            raise
        click.echo(f"secloop: error: {err}", err=True)
        sys.exit(err.exit_code)
    except Exception as err:
        if _debug_requested(args):
            raise
        click.echo(
            f"secloop: internal error: {type(err).__name__}: {err} "
            "(run again with --debug for the traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_TOOL_FAILURE)
    sys.exit(code if isinstance(code, int) else 0)
