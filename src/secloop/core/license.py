"""Declared licences: SPDX expressions where the declaration is one, the text otherwise.

Package metadata spells licences freely (``MIT License``, ``Apache 2.0``, ``GPLv3+``).
A declaration that is a valid SPDX expression is kept in its canonical form
(``mit or apache-2.0`` -> ``MIT OR Apache-2.0``); a few spellings that name exactly one
SPDX licence are mapped to it; anything else is kept as written, so a report never
claims an SPDX identifier the package did not declare. :func:`is_spdx_expression` tells
the two apart (SBOMs write an expression or a licence name accordingly).
"""

from __future__ import annotations

from functools import lru_cache

try:  # packaging >= 24.2 carries the SPDX licence list and PEP 639 canonicalisation
    from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

    _HAVE_SPDX_LIST = True
except ImportError:  # pragma: no cover - older packaging: declarations are kept as written
    _HAVE_SPDX_LIST = False

__all__ = ["is_spdx_expression", "normalize_license"]

_MAX_LICENSE_CHARS = 512  # longer "licences" are the full licence text, not a declaration

# Declarations that mean "nothing declared" in the formats secloop reads.
_UNDECLARED = frozenset({"", "unknown", "none", "noassertion", "see license", "license.txt"})

# Unambiguous non-SPDX spellings seen in PyPI, npm and distribution metadata. Ambiguous
# ones ("BSD", "GPL", "Apache") are not guessed: they stay as written.
_ALIASES: dict[str, str] = {
    "mit license": "MIT",
    "the mit license": "MIT",
    "mit/x11": "MIT",
    "apache 2.0": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "asl 2.0": "Apache-2.0",
    "bsd-3": "BSD-3-Clause",
    "new bsd license": "BSD-3-Clause",
    "3-clause bsd license": "BSD-3-Clause",
    "bsd 3-clause": "BSD-3-Clause",
    "bsd-2": "BSD-2-Clause",
    "simplified bsd license": "BSD-2-Clause",
    "bsd 2-clause": "BSD-2-Clause",
    "isc license": "ISC",
    "mozilla public license 2.0": "MPL-2.0",
    "mpl 2.0": "MPL-2.0",
    "mpl-2": "MPL-2.0",
    "public domain": "LicenseRef-Public-Domain",
    "psf": "PSF-2.0",
    "python software foundation license": "PSF-2.0",
    "gplv2": "GPL-2.0-only",
    "gplv2+": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
    "gplv3+": "GPL-3.0-or-later",
    "lgplv2+": "LGPL-2.0-or-later",
    "lgplv3": "LGPL-3.0-only",
    "lgplv3+": "LGPL-3.0-or-later",
    "agplv3": "AGPL-3.0-only",
    "zlib license": "Zlib",
    "the unlicense": "Unlicense",
}


@lru_cache(maxsize=4096)
def _canonical(text: str) -> str | None:
    if not _HAVE_SPDX_LIST:  # pragma: no cover - older packaging
        return None
    try:
        return str(canonicalize_license_expression(text))
    except InvalidLicenseExpression:
        return None


def normalize_license(declared: str | None) -> str | None:
    """The canonical SPDX expression of a declaration, else the declaration as written
    (whitespace collapsed); None when nothing is declared."""
    if declared is None:
        return None
    text = " ".join(declared.split())
    if text.lower() in _UNDECLARED or len(text) > _MAX_LICENSE_CHARS:
        return None
    alias = _ALIASES.get(text.lower())
    if alias is not None:
        return alias
    return _canonical(text) or text


def is_spdx_expression(text: str) -> bool:
    """True when ``text`` is already a canonical SPDX expression."""
    return _canonical(text) == text
