import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import db  # noqa: E402
from app.main import create_app  # noqa: E402


@pytest.fixture
def client(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "shop.sqlite3")})
    with app.app_context():
        conn = db.get_db()
        db.upsert_product(conn, {"sku": "MUG-01", "name": "Coffee mug", "category": "kitchen", "price_cents": 1200, "stock": 5})
        db.upsert_product(conn, {"sku": "TEE-02", "name": "Logo t-shirt", "category": "apparel", "price_cents": 2500})
        conn.commit()
    return app.test_client()
