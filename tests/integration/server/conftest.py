"""Fixtures shared with the unit tests of the server (cheap Argon2 parameters)."""

from tests.unit.server.conftest import cheap_password_hashing

__all__ = ["cheap_password_hashing"]
