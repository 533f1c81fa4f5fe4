"""Storage: the only package that knows database rows (SQLite by default, PostgreSQL)."""
