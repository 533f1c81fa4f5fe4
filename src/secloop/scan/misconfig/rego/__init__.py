"""Custom misconfiguration policies in Rego, conftest-compatible (``--policy DIR``).

``engine`` loads and compiles the policies with regopy (rego-cpp) once per scan;
``results`` reads conftest's rule results; ``scanner`` is the ``rego`` scan plugin.
"""

from __future__ import annotations

from secloop.scan.misconfig.rego.engine import (
    DEFAULT_NAMESPACE,
    CompiledPolicies,
    PolicyError,
    load_policies,
)
from secloop.scan.misconfig.rego.scanner import RegoScanner

__all__ = ["DEFAULT_NAMESPACE", "CompiledPolicies", "PolicyError", "RegoScanner", "load_policies"]
