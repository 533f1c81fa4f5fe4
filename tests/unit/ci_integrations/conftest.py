"""Reuse the CLI test fixtures (the in-process CLI runner over fake scan plugins)."""

from tests.unit.cli.conftest import fake_registry, run_cli

__all__ = ["fake_registry", "run_cli"]
