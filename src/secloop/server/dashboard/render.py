"""Rendering dashboard pages: one Jinja2 environment, autoescaped, and a strict CSP.

Everything from the database (titles, paths, comments, tool output) reaches the page
only through autoescaped template expressions. The pages carry no script at all, and
the Content-Security-Policy says so: ``default-src 'none'``, the single inline style
sheet allowed by its SHA-256 hash, forms posting only to this origin, no framing.
Markup that slipped through escaping could neither run nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from secloop import __version__

__all__ = ["SECURITY_HEADERS", "content_security_policy", "render"]

_TEMPLATES = "templates"


def _asset(name: str) -> str:
    """A packaged template file, read through importlib.resources (works from a wheel)."""
    return files("secloop.server.dashboard").joinpath(_TEMPLATES, name).read_text("utf-8")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FunctionLoader(_asset),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _stylesheet() -> str:
    return _asset("dashboard.css")


@cache
def content_security_policy() -> str:
    digest = hashlib.sha256(_stylesheet().encode("utf-8")).digest()
    style = "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"
    return (
        f"default-src 'none'; style-src {style}; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with the security headers; ``context`` is escaped by the template."""
    page = (
        _environment()
        .get_template(template)
        .render(
            css=Markup(_stylesheet()),  # noqa: S704 - our packaged file, hashed into the CSP
            version=__version__,
            **context,
        )
    )
    headers = {"Content-Security-Policy": content_security_policy(), **SECURITY_HEADERS}
    return HTMLResponse(page, status_code=status_code, headers=headers)
