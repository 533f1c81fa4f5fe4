"""Canonical purl strings without the cost of a full parser object.

A lockfile of thousands of packages needs one purl per package, and building a
``packageurl.PackageURL`` (normalise every field, then normalise and percent-encode
them again to write the string) is most of a parser's time. :func:`purl_string`
writes the same canonical string directly when every field is made of printable
ASCII with no space, ``/`` or ``%`` (virtually every package of every ecosystem):
for those the purl specification's rules reduce to a per-type case fold and a fixed
per-character percent-encoding. Anything else (an empty field, whitespace, non-ASCII,
a slash inside a name, an unusual qualifier key) goes through ``packageurl`` itself,
so the output is byte-identical to ``str(PackageURL(...))`` in every case; the unit
tests compare the two on the corpus's packages and on random strings.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping

from packageurl import PackageURL

__all__ = ["purl_string"]

# RFC 3986 unreserved characters stay as written; ``:`` is kept too (the purl
# specification leaves it unencoded); every other character is percent-encoded.
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~:")
_UNRESERVED_TEXT = re.compile(r"[A-Za-z0-9._~:-]*")
_ENCODED = {
    chr(code): chr(code) if chr(code) in _UNRESERVED else f"%{code:02X}" for code in range(33, 127)
}
# Fields of this alphabet take the fast path: printable ASCII without space, "/" or "%"
_PLAIN = re.compile(r"[!-$&-.0-~]+")
_QUALIFIER_KEY = re.compile(r"[a-z][a-z0-9._-]*")
_PUB_NAME = re.compile(r"[^a-z0-9]")

# The types secloop writes, whose rules below are complete; any other goes to packageurl
_KNOWN_TYPES = frozenset(
    {"pypi", "npm", "golang", "maven", "nuget", "gem", "cargo", "composer", "pub", "hex"}
    | {"cran", "conan", "hackage", "swift", "deb", "apk", "rpm", "generic"}
)
# Of those, the types whose names or namespaces are case-insensitive
_FOLDED_NAMES = frozenset({"pypi", "composer", "npm", "apk", "hex", "pub"})
_FOLDED_NAMESPACES = frozenset({"pypi", "composer", "apk", "hex"})


def _encode(text: str) -> str:
    if _UNRESERVED_TEXT.fullmatch(text):
        return text  # the common case: nothing to escape
    return "".join(_ENCODED[c] for c in text)


def _name_rule(purl_type: str) -> Callable[[str], str]:
    """The type's name normalisation, applied to the name as given and, as the
    reference writer does, again after percent-encoding (which folds the escapes'
    hex digits to lower case for case-insensitive types)."""
    if purl_type == "pypi":
        return lambda name: name.lower().replace("_", "-")
    if purl_type == "pub":
        return lambda name: _PUB_NAME.sub("_", name.lower())
    if purl_type == "hackage":
        return lambda name: name.replace("_", "-")
    if purl_type in _FOLDED_NAMES:
        return str.lower
    return lambda name: name


def _plain(value: str | None) -> bool:
    return value is None or _PLAIN.fullmatch(value) is not None


def _fast(
    purl_type: str,
    namespace: str | None,
    name: str,
    version: str | None,
    qualifiers: Mapping[str, str] | None,
) -> str | None:
    """The canonical string for plain fields, or None when the reference must decide."""
    if purl_type not in _KNOWN_TYPES:
        return None
    segments = namespace.split("/") if namespace else []
    if not name or not _plain(name) or not _plain(version) or not all(map(_plain, segments)):
        return None
    pairs = sorted((qualifiers or {}).items())
    if any(_QUALIFIER_KEY.fullmatch(k) is None or not _plain(v) for k, v in pairs):
        return None
    rule = _name_rule(purl_type)
    parts = ["pkg:", purl_type, "/"]
    if segments:
        fold = purl_type in _FOLDED_NAMESPACES
        parts += ["/".join(_encode(s.lower() if fold else s) for s in segments), "/"]
    parts.append(rule(_encode(rule(name))))
    if version:
        parts += ["@", _encode(version)]
    if pairs:
        parts += ["?", "&".join(f"{k}={_encode(v)}" for k, v in pairs)]
    return "".join(parts)


def purl_string(
    purl_type: str,
    namespace: str | None,
    name: str,
    version: str | None,
    qualifiers: Mapping[str, str] | None = None,
) -> str:
    """``str(PackageURL(type, namespace, name, version, qualifiers))``, faster.
    ``purl_type`` is a lower-case purl type; ValueError as ``PackageURL`` (no name)."""
    fast = _fast(purl_type, namespace, name, version, qualifiers)
    if fast is not None:
        return fast
    return str(
        PackageURL(
            type=purl_type,
            namespace=namespace,
            name=name,
            version=version,
            qualifiers=dict(qualifiers) if qualifiers else None,
        )
    )
