"""Version ordering per OSV ecosystem: one module per scheme family.

Every scheme exposes ``compare(a, b) -> -1 | 0 | 1``. :func:`comparator_for` maps an
OSV ecosystem name (the part before any ``:release`` suffix, as in ``Debian:12``) to
its scheme, and raises :class:`UnknownEcosystemError` for anything else rather than
guess: a wrong order silently hides or invents vulnerabilities.
"""

from __future__ import annotations

from collections.abc import Callable

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

__all__ = ["Comparator", "comparator_for", "ecosystem_base", "supported_ecosystems"]

Comparator = Callable[[str, str], int]

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


def supported_ecosystems() -> tuple[str, ...]:
    return tuple(sorted(_SCHEMES))
