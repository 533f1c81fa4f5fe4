"""Licence compliance: packages' declared licences against the project's policy."""

from __future__ import annotations

from secloop.scan.license.scanner import DENIED_RULE, UNKNOWN_RULE, LicenseScanner

__all__ = ["DENIED_RULE", "UNKNOWN_RULE", "LicenseScanner"]
