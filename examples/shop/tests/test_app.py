from app import auth


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "ok"


def test_product_lookup(client):
    assert client.get("/products/1").get_json()["sku"] == "MUG-01"
    assert client.get("/products/999").status_code == 404


def test_search_by_name(client):
    names = [p["name"] for p in client.get("/products/search?q=mug").get_json()]
    assert names == ["Coffee mug"]


def test_register_and_login(client):
    assert client.post("/users", json={"email": "ana@example.com", "password": "pw"}).status_code == 201
    resp = client.post("/login", json={"email": "ana@example.com", "password": "pw"})
    assert resp.status_code == 200
    assert auth.read_token(resp.get_json()["token"])["email"] == "ana@example.com"


def test_cart_round_trip(client):
    client.post("/cart/items", json={"product_id": 2, "quantity": 3})
    assert client.get("/cart").get_json() == {"2": 3}


def test_reset_tokens_are_long_enough():
    assert len(auth.new_reset_token()) == 32
