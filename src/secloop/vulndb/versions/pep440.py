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
from typing import Any

from packaging.version import InvalidVersion, Version

from secloop.vulndb.versions._util import cmp

__all__ = ["compare", "parse", "sort_key"]

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


# PEP 440's ordering written with plain ints and strings, so comparing two keys never
# calls back into Python (``Version.__lt__`` and its Infinity sentinels do): pre-release
# (0,) below any (1, letter, n) below a final release (2,); no post (0,) below (1, n);
# a dev release (0, n) below no dev (1,); no local () below any local segments, where
# a numeric segment sorts above a word. Mirrors packaging's own comparison key.
PEP440Key = tuple[
    int, tuple[int, ...], tuple[Any, ...], tuple[int, ...], tuple[int, ...], tuple[Any, ...]
]


def _pep440_key(version: Version) -> PEP440Key:
    release = list(version.release)
    while release and release[-1] == 0:
        release.pop()
    if version.pre is not None:
        pre: tuple[Any, ...] = (1, *version.pre)
    else:
        pre = (0,) if version.post is None and version.dev is not None else (2,)
    local = tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part)
        for part in (version.local.split(".") if version.local else ())
    )
    return (
        version.epoch,
        tuple(release),
        pre,
        (0,) if version.post is None else (1, version.post),
        (1,) if version.dev is None else (0, version.dev),
        local,
    )


@lru_cache(maxsize=131072)
def sort_key(text: str) -> tuple[int, PEP440Key | LegacyKey]:
    """A key ordered exactly as :func:`compare`, so that a matcher can sort and bisect
    with C-level tuple comparisons instead of calling ``compare`` pairwise; the leading
    0 puts legacy versions before every PEP 440 one."""
    parsed = parse(text)
    return (1, _pep440_key(parsed)) if isinstance(parsed, Version) else (0, parsed)
