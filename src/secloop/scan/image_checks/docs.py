"""``docs/rules/image.md``, generated from the SL-IMG rule metadata (never by hand).

Regenerate with ``python -m secloop.scan.image_checks.docs`` from the project root; a
test fails when the page is stale.
"""

from __future__ import annotations

from pathlib import Path

from secloop.scan.image_checks.checks import IMAGE_CHECKS
from secloop.scan.misconfig.docs import render_page

__all__ = ["PAGE", "render"]

PAGE = "docs/rules/image.md"
_INTRODUCTION = (
    "Checks run by the `image-config` scanner on the configuration of a container image "
    "scanned with `secloop image`: its user, environment, labels, history, exposed ports "
    "and health check, the end of life of its OS release, and how it was pulled. "
    "Findings are located at `(image config)`, or at the layer a history entry created. "
    "Secrets in files that a later layer deleted are reported by the `secret-deleted` "
    "scanner under the secrets rules."
)


def render() -> str:
    page = render_page("Container image rules", _INTRODUCTION, [c.rule for c in IMAGE_CHECKS])
    return page.replace("secloop.scan.misconfig.docs", "secloop.scan.image_checks.docs")


if __name__ == "__main__":
    path = Path.cwd() / PAGE
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
