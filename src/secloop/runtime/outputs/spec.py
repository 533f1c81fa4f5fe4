"""``--output`` values (``stdout``, ``jsonl:PATH``, ``webhook:URL``, ``server:URL``) -> sinks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import assert_never

from secloop.core.errors import UsageError
from secloop.runtime.outputs.findings import FindingsServerSink, Uploader
from secloop.runtime.outputs.interface import AlertSink
from secloop.runtime.outputs.stream import JsonLinesSink, LineFormat, StdoutSink
from secloop.runtime.outputs.webhook import WebhookSink

__all__ = ["OutputKind", "OutputSpec", "SinkContext", "build_sinks", "parse_output"]


class OutputKind(Enum):
    STDOUT = "stdout"
    JSONL = "jsonl"
    WEBHOOK = "webhook"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class OutputSpec:
    kind: OutputKind
    target: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SinkContext:
    """What building sinks needs from the command line."""

    write: Callable[[str], None]
    fmt: LineFormat = LineFormat.JSON
    webhook_secret: str | None = None
    uploader: Callable[[str], Uploader] | None = None  # server URL -> uploader
    target: str = "runtime"
    tool_version: str = "0"
    stdout_batch_lines: int = 1  # > 1: stdout lines handed over in batches (a replay)


def parse_output(text: str) -> OutputSpec:
    """One ``--output`` value; UsageError naming the choices when it is not one."""
    name, sep, target = text.partition(":")
    try:
        kind = OutputKind(name.strip().lower())
    except ValueError:
        choices = "stdout, jsonl:PATH, webhook:URL, server:URL"
        raise UsageError(f"--output {text!r}: unknown output; choose one of {choices}") from None
    if kind is OutputKind.STDOUT:
        if sep:
            raise UsageError(f"--output {text!r}: stdout takes no argument")
        return OutputSpec(kind)
    if not target:
        raise UsageError(f"--output {text!r}: {kind.value} needs a target, e.g. {kind.value}:…")
    if kind in (OutputKind.WEBHOOK, OutputKind.SERVER) and not target.startswith(
        ("http://", "https://")
    ):
        raise UsageError(f"--output {text!r}: the URL must start with http:// or https://")
    return OutputSpec(kind, target)


def build_sinks(specs: Sequence[OutputSpec], context: SinkContext) -> list[AlertSink]:
    return [_build(spec, context) for spec in specs]


def _build(spec: OutputSpec, context: SinkContext) -> AlertSink:
    match spec.kind:
        case OutputKind.STDOUT:
            return StdoutSink(context.write, context.fmt, batch_lines=context.stdout_batch_lines)
        case OutputKind.JSONL:
            return JsonLinesSink(Path(spec.target))
        case OutputKind.WEBHOOK:
            return WebhookSink(spec.target, secret=context.webhook_secret)
        case OutputKind.SERVER:
            if context.uploader is None:
                raise UsageError("--output server:URL needs --project NAME")
            return FindingsServerSink(
                context.uploader(spec.target),
                target=context.target,
                tool_version=context.tool_version,
            )
        case _:  # pragma: no cover - exhaustive
            assert_never(spec.kind)
