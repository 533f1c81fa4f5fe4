"""PyPI: PEP 440 ordering via ``packaging``, with the pre-PEP 440 "legacy" fallback.

``packaging`` dropped ``LegacyVersion`` in version 22, but PyPI still serves releases
such as ``0.9-doduo`` and advisories list them. Pip used to sort such versions before
every valid one, and the OSV reference data encodes that; the legacy key below is an
independent implementation of that historical ordering (setuptools' scheme): numbers
zero-padded, words prefixed with ``*``, ``pre``/``preview``/``rc`` as ``c`` and ``dev``
as ``@`` so that pre-releases sort below ``*final``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from secloop.vulndb.versions._util import cmp

__all__ = ["compare", "parse"]

_LEGACY_PART = re.compile(r"(\d+|[a-z]+|\.|-)")
_LEGACY_WORDS = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}
_FINAL = "*final"

LegacyKey = tuple[str, ...]


def _legacy_parts(text: str) -> list[str]:
    parts: list[str] = []
    for raw in _LEGACY_PART.split(text):
        part = _LEGACY_WORDS.get(raw, raw)
        if not part or part == ".":
            continue
        parts.append(part.zfill(8) if part[0].isdigit() else "*" + part)
    parts.append(_FINAL)
    return parts


def _legacy_key(text: str) -> LegacyKey:
    """Trailing zeros and a ``-`` before a pre-release word do not count."""
    key: list[str] = []
    for part in _legacy_parts(text.lower()):
        if part.startswith("*"):
            if part < _FINAL:
                while key and key[-1] == "*final-":
                    key.pop()
            while key and key[-1] == "00000000":
                key.pop()
        key.append(part)
    return tuple(key)


@lru_cache(maxsize=65536)
def parse(text: str) -> Version | LegacyKey:
    """A PEP 440 version, or the legacy key of a string PEP 440 rejects."""
    try:
        return Version(text)
    except InvalidVersion:
        return _legacy_key(text.strip())


def compare(left: str, right: str) -> int:
    """Legacy versions sort before every PEP 440 version, as pip's old ordering did."""
    a, b = parse(left), parse(right)
    if isinstance(a, Version) and isinstance(b, Version):
        return cmp(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return cmp(a, b)
    return -1 if isinstance(a, tuple) else 1
