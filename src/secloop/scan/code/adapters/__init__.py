"""Adapters that run third-party code scanners (Bandit, Semgrep) as secloop scanners.

Both are opt-in (``default_enabled = False``): they run only when ``--scanners`` or the
configuration names them. Their findings are de-duplicated against secloop's own by
:mod:`secloop.policy.dedupe`.
"""

from secloop.scan.code.adapters.bandit import BanditScanner
from secloop.scan.code.adapters.semgrep import SemgrepScanner

__all__ = ["BanditScanner", "SemgrepScanner"]
