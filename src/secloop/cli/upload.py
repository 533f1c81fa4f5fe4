"""Upload a secloop JSON report to a findings server (``secloop scan --upload``).

``httpx`` is imported inside :func:`upload_report`, so the CLI does not pay for it
unless an upload is asked for. The API token comes from ``SECLOOP_SERVER_TOKEN``: a
token with the ``write`` scope of a user who may upload to the project (``secloop
server token create``); a server without users (local mode) needs none.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from secloop.core.errors import Error

TOKEN_ENV = "SECLOOP_SERVER_TOKEN"  # noqa: S105 - the variable's name, not a token
TIMEOUT_SECONDS = 120.0


class UploadError(Error):
    """The server refused the report or could not be reached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadResult:
    scan_id: int
    status: str
    counts: dict[str, int]
    url: str


def _endpoint(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/api/v1/scans") else f"{base}/api/v1/scans"


def upload_report(
    report_json: str,
    *,
    url: str,
    project: str,
    asset: str | None = None,
    full_scan: bool = True,
    token: str | None = None,
    transport: Any = None,
) -> UploadResult:
    """POST a secloop JSON report; ``transport`` lets tests use ``httpx.MockTransport``."""
    import httpx

    token = token if token is not None else os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = {"project": project, "format": "secloop", "full_scan": str(full_scan).lower()}
    if asset:
        data["asset"] = asset
    endpoint = _endpoint(url)
    files = {"file": ("secloop.json", report_json.encode("utf-8"), "application/json")}
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport) as client:
            response = client.post(endpoint, data=data, files=files, headers=headers)
    except httpx.HTTPError as err:
        raise UploadError(f"cannot upload to {endpoint}: {err}") from None
    return _result(response.status_code, response.text, endpoint)


_AUTH_HINTS = {
    401: f" (set {TOKEN_ENV} to an API token from `secloop server token create`)",
    403: " (the token needs the `write` scope and a maintainer or admin role in the project)",
}


def _result(status_code: int, text: str, endpoint: str) -> UploadResult:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        body = {}
    if status_code not in (200, 201, 202) or not isinstance(body, dict):
        detail = body.get("detail", text[:200]) if isinstance(body, dict) else text[:200]
        raise UploadError(
            f"{endpoint} refused the report (HTTP {status_code}): {detail}"
            + _AUTH_HINTS.get(status_code, "")
        )
    base = endpoint.removesuffix("/api/v1/scans")
    return UploadResult(
        scan_id=int(body["id"]),
        status=str(body["status"]),
        counts={k: int(v) for k, v in dict(body.get("counts", {})).items()},
        url=f"{base}{body.get('status_url', '')}",
    )
