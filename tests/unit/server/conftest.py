"""Fixtures for the findings server: corpus samples, a SQLite-backed API client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from secloop.server.app import create_app
from secloop.server.settings import ServerSettings
from tests.conftest import corpus_path

SAMPLES = "defectdojo-scan-samples"


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
) -> dict[str, Any]:
    fields = {"project": project, "asset": asset, "full_scan": str(full_scan).lower()}
    if fmt:
        fields["format"] = fmt
    response = client.post("/api/v1/scans", files={"file": (name, data)}, data=fields)
    assert response.status_code in (201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def findings(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/findings", params={"per_page": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
