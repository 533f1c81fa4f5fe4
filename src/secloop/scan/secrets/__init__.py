"""Secrets detection: committed keys, tokens, passwords and private keys.

``rules/`` is the rule table (one module per provider family), ``engine`` runs it over
a text in one pass, and ``scanner`` plugs the engine into the scan pipeline.
"""

from __future__ import annotations

from secloop.scan.secrets.engine import SecretEngine, default_engine, mask
from secloop.scan.secrets.model import SecretRule
from secloop.scan.secrets.rules import ALL_RULES
from secloop.scan.secrets.scanner import SecretsScanner

__all__ = ["ALL_RULES", "SecretEngine", "SecretRule", "SecretsScanner", "default_engine", "mask"]
