"""Vulnerability scanning: the inventory matched against the local OSV database."""

from __future__ import annotations

from secloop.scan.vuln.scanner import VulnerabilityScanner

__all__ = ["VulnerabilityScanner"]
