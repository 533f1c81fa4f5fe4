"""Derived exposure through the API on a real PostgreSQL (the SQLite scenario, unchanged).

Uses the database and client fixtures of :mod:`tests.integration.server.test_postgres`:
skipped, saying why, when no PostgreSQL answers on 127.0.0.1:5432.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.server.test_postgres import client, database_url
from tests.unit.server import exposure_scenario

pytestmark = pytest.mark.integration
__all__ = ["client", "database_url"]  # fixtures, shared with the API flow tests


def test_derived_exposure_through_the_api_on_postgresql(client: TestClient, tmp_path: Path) -> None:
    exposure_scenario.run(client, tmp_path, project="shop-pg")
