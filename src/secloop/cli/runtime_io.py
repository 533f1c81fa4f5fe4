"""The event-source and alert-output options of ``secloop detect``.

Kept apart from :mod:`secloop.cli.runtime` so that the verb stays thin: this module
turns ``--follow``, ``--listen`` and the TLS/token options into a source, and the
``--output``, throttling and upload options into a :class:`Dispatcher`. Runtime
modules are imported inside the functions, as everywhere in the CLI.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from secloop.runtime.outputs.dispatch import Dispatcher
    from secloop.runtime.outputs.throttle import ThrottleConfig
    from secloop.runtime.sources.interface import EventSource

__all__ = [
    "io_options",
    "open_events",
    "open_outputs",
    "output_options",
    "print_output_summary",
    "stop_on_signals",
]

F = TypeVar("F", bound=Callable[..., Any])
AUDIT_TOKEN_ENV = "SECLOOP_AUDIT_WEBHOOK_TOKEN"  # noqa: S105 - a variable's name
WEBHOOK_SECRET_ENV = "SECLOOP_WEBHOOK_SECRET"  # noqa: S105 - a variable's name
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

_SOURCE_OPTIONS = [
    click.option(
        "--follow",
        is_flag=True,
        help="Keep reading --input as it grows (like tail -F; JSON lines) until SIGINT/SIGTERM.",
    ),
    click.option(
        "--listen",
        metavar="HOST:PORT",
        help="Receive Kubernetes audit events from the API server's audit webhook backend "
        "here (--source k8s_audit) instead of reading --input.",
    ),
    click.option("--tls-cert", type=_FILE, help="Serve --listen over TLS with this certificate."),
    click.option("--tls-key", type=_FILE, help="The private key of --tls-cert."),
    click.option(
        "--auth-token",
        envvar=AUDIT_TOKEN_ENV,
        help=f"Bearer token --listen requires (env {AUDIT_TOKEN_ENV}).",
    ),
    click.option(
        "--max-body-bytes",
        type=click.IntRange(min=1024),
        default=16 * 1024 * 1024,
        show_default=True,
        help="Largest audit webhook request body accepted (larger: HTTP 413).",
    ),
]
_OUTPUT_OPTIONS = [
    click.option(
        "--output",
        "outputs",
        multiple=True,
        metavar="OUTPUT",
        help="Where alerts go; repeat for several: stdout (default; --format applies), "
        "jsonl:PATH, webhook:URL, server:URL (with --project).",
    ),
    click.option(
        "--webhook-secret",
        envvar=WEBHOOK_SECRET_ENV,
        help=f"HMAC-SHA256 key signing webhook bodies (env {WEBHOOK_SECRET_ENV}).",
    ),
    click.option("--project", help="Findings server project of --output server:URL."),
    click.option("--asset", help="Findings server asset (default: the input or listen address)."),
    click.option(
        "--rate-limit",
        metavar="N/s",
        help="Per rule, at most N alerts per second (or N/m, N/h); the excess is counted.",
    ),
    click.option(
        "--dedupe-window",
        type=click.FloatRange(min=0),
        default=0.0,
        help="Seconds within which identical alerts (rule and output) are sent once, "
        "then summarised with a repeat count.",
    ),
    click.option(
        "--throttle-config",
        type=_FILE,
        help="YAML with per-rule rate_limit, burst and dedupe_window (default: and rules:).",
    ),
]

_OPTIONS = _SOURCE_OPTIONS + _OUTPUT_OPTIONS


def io_options(function: F) -> F:
    """Add the source and output options of ``detect`` to ``function``."""
    for option in reversed(_OPTIONS):
        function = option(function)
    return function


def output_options(function: F) -> F:
    """Only the alert-output options (``secloop sensor`` brings its own event source)."""
    for option in reversed(_OUTPUT_OPTIONS):
        function = option(function)
    return function


def open_events(source: str, input_path: str | None, options: dict[str, Any]) -> EventSource:
    """The event source the options ask for: a file (maybe followed) or the endpoint."""
    from secloop.runtime.sources import FollowConfig, open_source

    listen = options["listen"]
    if (input_path is None) == (listen is None):
        raise click.UsageError("give exactly one of --input FILE and --listen HOST:PORT")
    if listen is not None:
        return _endpoint(source, listen, options)
    assert input_path is not None  # noqa: S101 - narrowed by the check above
    if options["tls_cert"] or options["tls_key"] or options["auth_token"]:
        raise click.UsageError("--tls-cert, --tls-key and --auth-token go with --listen")
    if input_path != "-" and not Path(input_path).is_file():
        raise click.BadParameter(f"no such file: {input_path}", param_hint="--input")
    follow = FollowConfig() if options["follow"] else None
    return open_source(source, input_path, follow=follow)


def _endpoint(source: str, listen: str, options: dict[str, Any]) -> EventSource:
    from secloop.runtime.sources.k8s_webhook import AuditWebhookSource, WebhookConfig, parse_listen

    if source != "k8s_audit":
        raise click.UsageError("--listen receives Kubernetes audit events: use --source k8s_audit")
    if options["follow"]:
        raise click.UsageError("--follow reads a file: it does not go with --listen")
    if bool(options["tls_cert"]) != bool(options["tls_key"]):
        raise click.UsageError("--tls-cert and --tls-key go together")
    host, port = parse_listen(listen)
    config = WebhookConfig(
        host=host,
        port=port,
        max_body_bytes=options["max_body_bytes"],
        token=options["auth_token"] or None,
        tls_cert=options["tls_cert"],
        tls_key=options["tls_key"],
    )
    return AuditWebhookSource(config)


@contextmanager
def stop_on_signals(events: EventSource, options: dict[str, Any]) -> Iterator[None]:
    """While a followed file or the endpoint runs, SIGINT/SIGTERM end it cleanly.

    The run then finishes normally: queued alerts are delivered and the summary
    printed. The previous handlers come back afterwards. A plain replay keeps the
    default handlers (Ctrl-C interrupts it at once).
    """
    stop = getattr(events, "stop", None)
    if stop is None or not (options["follow"] or options["listen"]):
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, lambda *_: stop())
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def open_outputs(
    fmt: str,
    input_path: str | None,
    options: dict[str, Any],
    write: Callable[[str], None],
    *,
    replay: bool = False,
) -> Dispatcher:
    """The sinks of ``--output`` (stdout when none) behind the throttle of the options.

    ``replay``: the events are a file read once, so stdout lines may be batched.
    """
    from secloop import __version__
    from secloop.runtime.outputs.dispatch import Dispatcher
    from secloop.runtime.outputs.spec import SinkContext, build_sinks, parse_output
    from secloop.runtime.outputs.stream import LineFormat
    from secloop.runtime.outputs.throttle import Throttle

    specs = [parse_output(text) for text in options["outputs"]] or [parse_output("stdout")]
    target = options["asset"] or options["listen"] or input_path or "runtime"
    context = SinkContext(
        write=write,
        fmt=LineFormat(fmt),
        webhook_secret=options["webhook_secret"] or None,
        uploader=_uploader(options["project"], options["asset"] or target),
        target=target,
        tool_version=__version__,
        # A replay hands stdout lines over in batches; a live source, one by one.
        stdout_batch_lines=512 if replay else 1,
    )
    return Dispatcher(build_sinks(specs, context), Throttle(_throttle(options)))


def _uploader(project: str | None, asset: str) -> Callable[[str], Callable[[str], object]] | None:
    if not project:
        return None

    def for_url(url: str) -> Callable[[str], object]:
        from secloop.cli.upload import upload_report

        def upload(report: str) -> object:
            return upload_report(report, url=url, project=project, asset=asset, full_scan=False)

        return upload

    return for_url


def _throttle(options: dict[str, Any]) -> ThrottleConfig:
    from secloop.runtime.outputs.throttle import (
        ThrottleConfig,
        ThrottleSettings,
        load_throttle_file,
        parse_rate,
    )

    rate = options["rate_limit"]
    base = ThrottleSettings(
        rate=parse_rate(rate) if rate else None, dedupe_window=options["dedupe_window"]
    )
    if options["throttle_config"] is not None:
        return load_throttle_file(options["throttle_config"], base)
    return ThrottleConfig(default=base)


def print_output_summary(dispatcher: Dispatcher) -> None:
    for line in dispatcher.summary_lines():
        click.echo(f"secloop: {line}", err=True)
