"""Rendering dashboard pages: one Jinja2 environment, autoescaped, and a strict CSP.

Everything from the database (titles, paths, comments, tool output) reaches the page
only through autoescaped template expressions. The pages carry no script at all, and
the Content-Security-Policy says so: ``default-src 'none'``, the single inline style
sheet allowed by its SHA-256 hash, forms posting only to this origin, no framing.
Markup that slipped through escaping could neither run nor load anything.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse
from markupsafe import Markup

from secloop import __version__
from secloop.output.templating import csp_hash, packaged_asset, packaged_environment

__all__ = ["SECURITY_HEADERS", "content_security_policy", "render"]

_PACKAGE = "secloop.server.dashboard"


@cache
def _stylesheet() -> str:
    return packaged_asset(_PACKAGE, "dashboard.css")


@cache
def content_security_policy() -> str:
    style = csp_hash(_stylesheet())
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
        packaged_environment(_PACKAGE)
        .get_template(template)
        .render(
            css=Markup(_stylesheet()),  # noqa: S704 - our packaged file, hashed into the CSP
            version=__version__,
            **context,
        )
    )
    headers = {"Content-Security-Policy": content_security_policy(), **SECURITY_HEADERS}
    return HTMLResponse(page, status_code=status_code, headers=headers)
