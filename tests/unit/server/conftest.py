"""Fixtures for the findings server: corpus samples, a SQLite-backed API client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient

from secloop.server.access import use_password_parameters
from secloop.server.app import create_app
from secloop.server.settings import ServerSettings
from tests.conftest import corpus_path

SAMPLES = "defectdojo-scan-samples"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2's cheapest parameters: the default (64 MiB, 3 passes) per user is slow here."""
    use_password_parameters(CHEAPEST)
    yield
    use_password_parameters(None)


@pytest.fixture
def samples() -> Path:
    return corpus_path(SAMPLES)


@pytest.fixture
def expected(samples: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((samples / "expected.json").read_text(encoding="utf-8"))
    return data


def make_client(tmp_path: Path, **settings: Any) -> TestClient:
    config = ServerSettings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 's.db'}", **settings
    )
    return TestClient(create_app(config))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as test_client:
        yield test_client


def upload(
    client: TestClient,
    data: bytes,
    *,
    project: str = "demo",
    asset: str = "repo",
    fmt: str | None = None,
    name: str = "report.json",
    full_scan: bool = True,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    fields = {"project": project, "asset": asset, "full_scan": str(full_scan).lower()}
    if fmt:
        fields["format"] = fmt
    response = client.post(
        "/api/v1/scans", files={"file": (name, data)}, data=fields, headers=headers
    )
    assert response.status_code in (201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def findings(
    client: TestClient, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    response = client.get("/api/v1/findings", params={"per_page": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def wait_for_job(
    client: TestClient, accepted: dict[str, Any], seconds: float = 60
) -> dict[str, Any]:
    """Poll the job of a 202 answer until it has finished; the job's final state."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        job: dict[str, Any] = client.get(accepted["job_url"]).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


PASSWORD = "correct horse battery staple"


def add_user(
    client: TestClient,
    name: str,
    *,
    admin: bool = False,
    roles: dict[str, str] | None = None,
    scopes: tuple[str, ...] = ("read", "write", "admin"),
) -> str:
    """Create a user with roles per project and return an API token of theirs."""
    from datetime import UTC, datetime

    from secloop.server.access import Role, parse_scopes
    from secloop.server.storage import accounts
    from secloop.server.storage.db import transaction

    sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        user = accounts.create_user(session, name, PASSWORD, now=now, is_admin=admin)
        for project, role in (roles or {}).items():
            accounts.set_member(session, project, name, Role(role))
        issued = accounts.create_token(
            session, user, name="test", scopes=parse_scopes(scopes), now=now
        )
        return issued.secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
