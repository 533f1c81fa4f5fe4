"""Package names as the index keys them: each ecosystem's own notion of "same name".

PyPI folds case and runs of ``-_.`` (PEP 503); NuGet, Packagist and Pub names are
case-insensitive; everything else (npm, Go, Maven, crates.io, RubyGems, distributions)
is compared as written. Lockfiles and advisories disagree on spelling often enough
(``Django`` / ``django``, ``zope.interface`` / ``zope-interface``) that an exact match
would miss real vulnerabilities.
"""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.vulndb.versions import ecosystem_base

__all__ = ["normalise_name"]

_PEP503 = re.compile(r"[-_.]+")
_CASE_INSENSITIVE = frozenset({"NuGet", "Packagist", "Pub", "Hex"})


@lru_cache(maxsize=65536)  # called for every package and record name of a scan
def normalise_name(ecosystem: str, name: str) -> str:
    base = ecosystem_base(ecosystem)
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base in _CASE_INSENSITIVE:
        return name.lower()
    return name
