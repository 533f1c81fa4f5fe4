"""Version ordering per OSV ecosystem: one module per scheme family.

Every scheme exposes ``compare(a, b) -> -1 | 0 | 1``. :func:`comparator_for` maps an
OSV ecosystem name (the part before any ``:release`` suffix, as in ``Debian:12``) to
its scheme, and raises :class:`UnknownEcosystemError` for anything else rather than
guess: a wrong order silently hides or invents vulnerabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key, lru_cache
from typing import Any

from secloop.vulndb.errors import UnknownEcosystemError
from secloop.vulndb.versions import (
    apk,
    cran,
    dpkg,
    maven,
    nuget,
    packagist,
    pep440,
    pub,
    rpm,
    rubygems,
    semver,
)

__all__ = [
    "Comparator",
    "VersionKey",
    "comparator_for",
    "ecosystem_base",
    "key_for",
    "supported_ecosystems",
]

Comparator = Callable[[str, str], int]
VersionKey = Callable[[str], Any]

_SCHEMES: dict[str, Comparator] = {
    "PyPI": pep440.compare,
    "npm": semver.compare,
    "crates.io": semver.compare,
    "Go": semver.compare,
    "Hex": semver.compare,  # Elixir's Version is strict SemVer 2.0
    "Pub": pub.compare,
    "Maven": maven.compare,
    "NuGet": nuget.compare,
    "RubyGems": rubygems.compare,
    "Packagist": packagist.compare,
    "CRAN": cran.compare,
    "Hackage": cran.compare,  # Data.Version: the same numeric list order
    "Debian": dpkg.compare,
    "Ubuntu": dpkg.compare,
    "Alpine": apk.compare,
    "Red Hat": rpm.compare,
    "Rocky Linux": rpm.compare,
    "AlmaLinux": rpm.compare,
    "openSUSE": rpm.compare,
    "SUSE": rpm.compare,
}


def ecosystem_base(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``: releases share their distribution's scheme."""
    return ecosystem.split(":", 1)[0]


def comparator_for(ecosystem: str) -> Comparator:
    """The ordering of ``ecosystem``; UnknownEcosystemError when there is none."""
    try:
        return _SCHEMES[ecosystem_base(ecosystem)]
    except KeyError:
        raise UnknownEcosystemError(
            f"no version scheme for ecosystem {ecosystem!r}; known: {', '.join(sorted(_SCHEMES))}"
        ) from None


# Schemes whose order is expressible as a plain sortable key (C-level comparisons);
# every other scheme gets its comparator wrapped by ``cmp_to_key``, which is exact too.
_KEYS: dict[Comparator, VersionKey] = {
    pep440.compare: pep440.sort_key,
    semver.compare: semver.sort_key,
    pub.compare: pub.sort_key,
}


@lru_cache(maxsize=64)
def _wrapped(compare: Comparator) -> VersionKey:
    """A cached ``cmp_to_key`` key for schemes that only define pairwise comparison."""
    wrap = cmp_to_key(compare)
    return lru_cache(maxsize=65536)(wrap)


def key_for(ecosystem: str) -> VersionKey:
    """A key function ordered exactly as ``comparator_for(ecosystem)``: equal keys for
    versions that compare equal. Lets a matcher pre-sort range events once and bisect."""
    compare = comparator_for(ecosystem)
    return _KEYS.get(compare) or _wrapped(compare)


def supported_ecosystems() -> tuple[str, ...]:
    return tuple(sorted(_SCHEMES))
