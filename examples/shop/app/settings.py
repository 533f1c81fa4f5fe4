"""Runtime configuration for shop-api.

Values come from the environment (see ../.env for local development); the
defaults below are what the team uses on laptops and in the compose stack.
"""

import os

SERVICE_NAME = "shop-api"

DATABASE_PATH = os.environ.get("SHOP_DB_PATH", "/tmp/shop.sqlite3")
BACKUP_DIR = os.environ.get("SHOP_BACKUP_DIR", "/var/backups/shop")

# Product images and PDF invoices live in S3.
AWS_REGION = os.environ.get("AWS_REGION", "eu-west-1")
AWS_ACCESS_KEY_ID = "AKIAEXAMPLE7SHOP3QZX"
AWS_SECRET_ACCESS_KEY = "EXAMPLEk3yShop/9fQw2Lx7RtZpVb4NcYm8HdJs1"
INVOICE_BUCKET = os.environ.get("INVOICE_BUCKET", "shop-invoices-prod")

JWT_SECRET = os.environ.get("SHOP_JWT_SECRET", "shop-dev-secret-do-not-use-in-production")
TOKEN_TTL_SECONDS = 3600
RESET_TOKEN_TTL_SECONDS = 15 * 60

PAYMENT_API_URL = os.environ.get("PAYMENT_API_URL", "https://api.payments.example.com/v1")
PAYMENT_API_KEY = os.environ.get("PAYMENT_API_KEY", "")
PAYMENT_TIMEOUT_SECONDS = 10

# Support staff use this for the /debug endpoints of the compose stack.
DEBUG_PASSWORD = "letmein-shop-2024"  # secloop:ignore SECRET-GENERIC-PASSWORD local-only debug fixture, rotated weekly

LISTEN_PORT = int(os.environ.get("PORT", "8080"))
