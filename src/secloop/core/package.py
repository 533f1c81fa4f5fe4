"""Packages found in an inventory, identified by Package URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from secloop.core.location import LayerRef
from secloop.core.purl import purl_string

# OSV ecosystem name -> purl type (https://github.com/package-url/purl-spec, PURL-TYPES).
# Distribution ecosystems carry a release suffix ("Debian:12"), matched on the prefix.
_PURL_TYPES: dict[str, str] = {
    "PyPI": "pypi",
    "npm": "npm",
    "Go": "golang",
    "Maven": "maven",
    "NuGet": "nuget",
    "RubyGems": "gem",
    "crates.io": "cargo",
    "Packagist": "composer",
    "Pub": "pub",
    "Hex": "hex",
    "CRAN": "cran",
    "ConanCenter": "conan",
    "Hackage": "hackage",
    "SwiftURL": "swift",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "Red Hat": "rpm",
    "Rocky Linux": "rpm",
    "AlmaLinux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
}


def purl_type_for(ecosystem: str) -> str:
    """The purl type of an OSV ecosystem; unknown ecosystems get the ``generic`` type."""
    base = ecosystem.split(":", 1)[0]
    return _PURL_TYPES.get(base, "generic")


def build_purl(
    ecosystem: str,
    name: str,
    version: str | None,
    qualifiers: Mapping[str, str] | None = None,
) -> str:
    """Build a canonical purl; Maven ``group:artifact`` and scoped npm names get namespaces.
    ``qualifiers`` (OS packages: ``arch``, ``distro``) are written sorted by key, as
    the purl specification's canonical form asks; empty values are left out."""
    purl_type = purl_type_for(ecosystem)
    namespace: str | None = None
    short_name = name
    if purl_type == "maven" and ":" in name:
        namespace, short_name = name.split(":", 1)
    elif purl_type in {"npm", "golang", "composer", "swift"} and "/" in name:
        namespace, short_name = name.rsplit("/", 1)
    elif purl_type in {"deb", "apk", "rpm"}:
        namespace = ecosystem.split(":", 1)[0].lower().replace(" ", "")
    kept = {key: value for key, value in (qualifiers or {}).items() if value}
    return purl_string(purl_type, namespace, short_name, version, kept)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageLocation:
    """Where a package was seen: the manifest or database path, the 1-based line of the
    package's entry in it when the format has lines, and the image layer if any.

    The line is for people and reports (SARIF regions, ``path:line``); it never enters a
    finding's fingerprint, which must survive edits elsewhere in the file (ADR 0002).
    """

    path: str
    line: int | None = None
    layer: LayerRef | None = None

    def __post_init__(self) -> None:
        if self.line is not None and self.line < 1:
            raise ValueError(f"line must be >= 1, got {self.line}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """A name and version in an ecosystem (OSV ecosystem names: ``PyPI``, ``Debian:12``).

    ``license`` is the licence the package declares: a canonical SPDX expression when
    the declaration is one, else the declared text as written (see
    :func:`secloop.core.license.normalize_license`); None when the source declares none.
    ``direct`` is True for a dependency the project declares itself, False for a
    transitive one, None when the format does not tell. ``dev`` marks a dependency the
    lockfile records as needed only for development. ``depends_on`` holds the purls of
    the packages this one requires, as resolved by a lockfile that records its graph
    (empty when the format records none); purls rather than objects keep the value
    frozen, hashable and cheap for inventories of 100,000 packages.
    """

    name: str
    version: str
    ecosystem: str
    purl: str
    source_name: str | None = None  # distro source package, used for distro advisories
    locations: tuple[PackageLocation, ...] = field(default_factory=tuple)
    license: str | None = None
    direct: bool | None = None
    dev: bool = False
    depends_on: tuple[str, ...] = ()

    @classmethod
    def create(
        cls,
        *,
        name: str,
        version: str,
        ecosystem: str,
        source_name: str | None = None,
        locations: tuple[PackageLocation, ...] = (),
        license: str | None = None,
        direct: bool | None = None,
        dev: bool = False,
        depends_on: tuple[str, ...] = (),
        purl_qualifiers: Mapping[str, str] | None = None,
    ) -> Package:
        return cls(
            name=name,
            version=version,
            ecosystem=ecosystem,
            purl=build_purl(ecosystem, name, version, purl_qualifiers),
            source_name=source_name,
            locations=locations,
            license=license,
            direct=direct,
            dev=dev,
            depends_on=depends_on,
        )
