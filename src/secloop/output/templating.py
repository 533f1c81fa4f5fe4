"""Packaged Jinja2 templates for every HTML secloop writes (report, dashboard).

One definition of the safe environment: autoescaping on for every template whatever
its name, undefined names are errors, templates read through importlib.resources so
they work from a wheel. And one definition of the CSP source hash that lets exactly
one inline style sheet or script run.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files

from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape

__all__ = ["csp_hash", "packaged_asset", "packaged_environment"]

_TEMPLATES = "templates"


def packaged_asset(package: str, name: str) -> str:
    """The text of ``templates/<name>`` inside ``package``."""
    return files(package).joinpath(_TEMPLATES, name).read_text(encoding="utf-8")


@cache
def packaged_environment(package: str) -> Environment:
    """One autoescaping environment per template package, per process."""
    return Environment(
        loader=FunctionLoader(lambda name: packaged_asset(package, name)),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def csp_hash(text: str) -> str:
    """The CSP source expression (``'sha256-...'``) allowing exactly this inline text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"
