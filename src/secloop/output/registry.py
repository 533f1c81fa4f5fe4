"""The explicit table from :class:`OutputFormat` to its formatter.

Each branch imports its module only when that format is asked for: the CLI imports
this registry on every run, and rich or Jinja2 must not be loaded for a format that
does not use them (``import secloop.cli`` stays light). The ``match`` is exhausted with
:func:`typing.assert_never`, so adding a format without a formatter fails type checking.
"""

from __future__ import annotations

from typing import assert_never

from secloop.output.interface import Formatter, OutputFormat

__all__ = ["formatter_for"]


def formatter_for(fmt: OutputFormat) -> Formatter:  # noqa: PLR0911 - one return per format
    """A fresh formatter for ``fmt``; formatters are stateless, so none is cached."""
    match fmt:
        case OutputFormat.TABLE:
            from secloop.output.table import TableFormatter

            return TableFormatter()
        case OutputFormat.JSON:
            from secloop.output.json_format import JsonFormatter

            return JsonFormatter()
        case OutputFormat.SARIF:
            from secloop.output.sarif import SarifFormatter

            return SarifFormatter()
        case OutputFormat.JUNIT:
            from secloop.output.junit import JunitFormatter

            return JunitFormatter()
        case OutputFormat.HTML:
            from secloop.output.html import HtmlFormatter

            return HtmlFormatter()
        case OutputFormat.CYCLONEDX:
            from secloop.output.cyclonedx import CycloneDxFormatter

            return CycloneDxFormatter()
        case OutputFormat.SPDX:
            from secloop.output.spdx import SpdxFormatter

            return SpdxFormatter()
        case (
            OutputFormat.GITLAB_SAST
            | OutputFormat.GITLAB_SECRET_DETECTION
            | OutputFormat.GITLAB_DEPENDENCY_SCANNING
            | OutputFormat.GITLAB_CONTAINER_SCANNING
        ):
            from secloop.output.gitlab import FORMATTERS

            return FORMATTERS[fmt]()
        case OutputFormat.CODEQUALITY:
            from secloop.output.codequality import CodeQualityFormatter

            return CodeQualityFormatter()
        case _:
            assert_never(fmt)
