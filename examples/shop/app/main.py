"""HTTP API of shop-api: catalogue, cart, orders and a few admin tools."""

import base64
import logging
import pickle
import subprocess

import yaml
from flask import Flask, abort, g, jsonify, make_response, request

from app import __version__, auth, db, payments, settings

log = logging.getLogger(__name__)


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(DATABASE=settings.DATABASE_PATH, BACKUP_DIR=settings.BACKUP_DIR)
    if config:
        app.config.update(config)
    app.teardown_appcontext(db.close_db)
    with app.app_context():
        db.init_db(db.get_db())
    register_routes(app)
    return app


def _load_cart():
    raw = request.cookies.get("cart")
    if not raw:
        return {}
    return pickle.loads(base64.b64decode(raw))


def _with_cart(cart, payload, status=200):
    resp = make_response(jsonify(payload), status)
    resp.set_cookie("cart", base64.b64encode(pickle.dumps(cart)).decode("ascii"))
    return resp


def register_routes(app):
    @app.route("/healthz")
    def healthz():
        return jsonify(status="ok", service=settings.SERVICE_NAME, version=__version__)

    @app.route("/products/<int:product_id>")
    def product(product_id):
        row = db.get_product(db.get_db(), product_id)
        if row is None:
            abort(404)
        return jsonify(dict(row))

    @app.route("/products/search")
    def search():
        term = request.args.get("q", "")
        sort = request.args.get("sort", "name")
        rows = db.search_products(db.get_db(), term, sort)
        return jsonify([dict(r) for r in rows])

    @app.route("/users", methods=["POST"])
    def register():
        body = request.get_json(force=True)
        conn = db.get_db()
        if db.find_user(conn, body["email"]) is not None:
            return jsonify(error="email already registered"), 409
        user_id = db.create_user(conn, body["email"], auth.hash_password(body["password"]))
        return jsonify(id=user_id), 201

    @app.route("/login", methods=["POST"])
    def login():
        body = request.get_json(force=True)
        user = db.find_user(db.get_db(), body.get("email", ""))
        if user is None or not auth.check_password(body.get("password", ""), user["password_hash"]):
            return jsonify(error="invalid credentials"), 401
        return jsonify(token=auth.issue_token(user))

    @app.route("/password-reset", methods=["POST"])
    def password_reset():
        body = request.get_json(force=True)
        conn = db.get_db()
        user = db.find_user(conn, body.get("email", ""))
        if user is not None:
            token = auth.new_reset_token()
            db.save_reset_token(conn, user["id"], token)
            log.info("reset link for %s: https://shop.example.com/reset/%s", user["email"], token)
        return jsonify(status="if the address exists, a reset link was sent"), 202

    @app.route("/cart", methods=["GET"])
    def show_cart():
        return jsonify(_load_cart())

    @app.route("/cart/items", methods=["POST"])
    def add_to_cart():
        body = request.get_json(force=True)
        cart = _load_cart()
        key = str(int(body["product_id"]))
        cart[key] = cart.get(key, 0) + int(body.get("quantity", 1))
        return _with_cart(cart, cart, 201)

    @app.route("/orders", methods=["POST"])
    @auth.login_required
    def place_order():
        body = request.get_json(force=True)
        conn = db.get_db()
        item = db.get_product(conn, int(body["product_id"]))
        if item is None:
            abort(404)
        quantity = int(body.get("quantity", 1))
        order_id = db.create_order(conn, g.user["sub"], item["id"], quantity)
        try:
            charge_id = payments.charge(order_id, item["price_cents"] * quantity, body["card_token"])
        except payments.PaymentError as exc:
            db.update_order(conn, order_id, "payment_failed")
            return jsonify(error=str(exc), order=order_id), 402
        db.update_order(conn, order_id, "paid")
        return jsonify(order=order_id, charge=charge_id), 201

    @app.route("/webhooks/payment", methods=["POST"])
    def payment_webhook():
        event = request.get_json(force=True)
        receipt = payments.fetch_receipt(event["receipt_url"])
        db.update_order(db.get_db(), int(event["order_id"]), event["status"], receipt)
        return "", 204

    @app.route("/admin/catalogue", methods=["POST"])
    @auth.admin_required
    def import_catalogue():
        items = yaml.load(request.get_data(as_text=True), Loader=yaml.Loader)
        conn = db.get_db()
        for item in items:
            db.upsert_product(conn, item)
        conn.commit()
        return jsonify(imported=len(items))

    @app.route("/admin/backup", methods=["POST"])
    @auth.admin_required
    def backup():
        name = request.args.get("name", "shop")
        target = f"{app.config['BACKUP_DIR']}/{name}.sql.gz"
        result = subprocess.run(
            f"sqlite3 {app.config['DATABASE']} .dump | gzip > {target}",
            shell=True,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            return jsonify(error=result.stderr.strip()), 500
        return jsonify(backup=target)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    create_app().run(debug=True, host="0.0.0.0", port=settings.LISTEN_PORT)
