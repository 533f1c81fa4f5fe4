"""SQLite access for products, users, orders and password resets."""

import sqlite3
import sys
import time

from flask import current_app, g

from app import settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY,
    sku TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    stock INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    receipt BLOB,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS password_resets (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at REAL NOT NULL
);
"""


def connect(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def get_db():
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_db(conn):
    conn.executescript(SCHEMA)
    conn.commit()


def get_product(conn, product_id):
    cur = conn.cursor()
    cur.execute("SELECT * FROM products WHERE id = ?", (product_id,))
    return cur.fetchone()


def search_products(conn, term, sort="name"):
    cur = conn.cursor()
    cur.execute(
        f"SELECT id, sku, name, price_cents FROM products "
        f"WHERE name LIKE '%{term}%' ORDER BY {sort}"
    )
    return cur.fetchall()


def upsert_product(conn, item):
    conn.execute(
        "INSERT INTO products (sku, name, category, price_cents, stock) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(sku) DO UPDATE SET name = excluded.name, category = excluded.category, "
        "price_cents = excluded.price_cents, stock = excluded.stock",
        (item["sku"], item["name"], item["category"], item["price_cents"], item.get("stock", 0)),
    )


def find_user(conn, email):
    cur = conn.cursor()
    cur.execute("SELECT * FROM users WHERE email = ?", (email,))
    return cur.fetchone()


def create_user(conn, email, password_hash):
    cur = conn.execute(
        "INSERT INTO users (email, password_hash) VALUES (?, ?)", (email, password_hash)
    )
    conn.commit()
    return cur.lastrowid


def create_order(conn, user_id, product_id, quantity):
    cur = conn.execute(
        "INSERT INTO orders (user_id, product_id, quantity, created_at) VALUES (?, ?, ?, ?)",
        (user_id, product_id, quantity, time.time()),
    )
    conn.commit()
    return cur.lastrowid


def update_order(conn, order_id, status, receipt=None):
    conn.execute(
        "UPDATE orders SET status = ?, receipt = COALESCE(?, receipt) WHERE id = ?",
        (status, receipt, order_id),
    )
    conn.commit()


def save_reset_token(conn, user_id, token):
    conn.execute(
        "INSERT INTO password_resets (token, user_id, expires_at) VALUES (?, ?, ?)",
        (token, user_id, time.time() + settings.RESET_TOKEN_TTL_SECONDS),
    )
    conn.commit()


def purge_expired_resets(conn):
    cur = conn.execute("DELETE FROM password_resets WHERE expires_at < ?", (time.time(),))
    conn.commit()
    return cur.rowcount


if __name__ == "__main__":
    # Run nightly by k8s/worker-cronjob.yaml: python -m app.db purge-resets
    if sys.argv[1:] != ["purge-resets"]:
        sys.exit("usage: python -m app.db purge-resets")
    connection = connect(settings.DATABASE_PATH)
    print(f"purged {purge_expired_resets(connection)} expired reset tokens")
