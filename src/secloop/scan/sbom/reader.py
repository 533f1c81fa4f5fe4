"""Reading CycloneDX (1.2-1.7) and SPDX 2.x JSON SBOMs into packages.

An SBOM is untrusted input. It is read with limits (bytes, components, nesting
depth), and a document that is not a CycloneDX or SPDX 2 SBOM, or breaks what we
rely on, is an :class:`SbomError` naming the file and the reason. A CycloneDX BOM is
also checked against the specification's schema when ``cyclonedx-python-lib`` (the
``sbom`` extra) is installed; JSF ``signature`` objects are exempt, because Python's
jsonschema rejects the specification's own signed examples (see the corpus notes).

Packages come from purls: a component without one, or of a purl type no OSV
ecosystem covers (``github``, ``generic``), is counted as skipped, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from packageurl import PackageURL

from secloop.core.package import Package, PackageLocation
from secloop.core.result import OperatingSystem
from secloop.scan.interface import ScanError

__all__ = [
    "SbomDocument",
    "SbomError",
    "SbomLimits",
    "looks_like_sbom",
    "package_from_purl",
    "parse_sbom",
]

_CDX_VERSIONS = {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"}
_PLAIN_TYPES = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "nuget": "NuGet",
    "gem": "RubyGems",
    "cargo": "crates.io",
    "composer": "Packagist",
    "pub": "Pub",
    "hex": "Hex",
    "cran": "CRAN",
    "hackage": "Hackage",
    "swift": "SwiftURL",
    "maven": "Maven",
}
_DISTROS = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "redhat": "Red Hat",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "opensuse": "openSUSE",
    "suse": "SUSE",
}


class SbomError(ScanError):
    """An SBOM that cannot be read; the message names the file and the reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SbomLimits:
    max_bytes: int = 256 * 1024 * 1024
    max_components: int = 1_000_000
    max_depth: int = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class SbomDocument:
    """What an SBOM says that a scan uses, and how much of it could not be used."""

    format: str  # "cyclonedx" or "spdx"
    spec_version: str
    packages: tuple[Package, ...]
    operating_system: OperatingSystem | None = None
    skipped: int = 0  # components without a usable purl


def looks_like_sbom(head: bytes) -> bool:
    """Cheap sniff on a file's first bytes: a JSON object naming an SBOM format."""
    text = head.lstrip()
    return text.startswith(b"{") and (b'"bomFormat"' in text or b'"spdxVersion"' in text)


def _qualified(purl: PackageURL) -> str:
    namespace = purl.namespace or ""
    if purl.type == "maven":
        return f"{namespace}:{purl.name}" if namespace else purl.name
    return f"{namespace}/{purl.name}" if namespace else purl.name


def _distro_ecosystem(purl: PackageURL) -> str | None:
    """``pkg:deb/debian/x?distro=debian-12`` -> ``Debian:12``; the release is needed,
    since distro advisories are per release."""
    family = _DISTROS.get((purl.namespace or "").lower())
    qualifiers = dict(purl.qualifiers or {})
    distro = str(qualifiers.get("distro", ""))
    if family is None:
        return None
    release = distro.split("-", 1)[1] if "-" in distro else distro
    if not release:
        return family
    if family == "Alpine":
        release = "v" + ".".join(release.lstrip("v").split(".")[:2])
    return f"{family}:{release}"


def package_from_purl(text: str, path: str) -> Package | None:
    """A package for a purl, or None for a purl no OSV ecosystem covers."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    if not purl.version:
        return None
    if purl.type in _PLAIN_TYPES:
        ecosystem: str | None = _PLAIN_TYPES[purl.type]
        name = _qualified(purl)
    elif purl.type in {"deb", "apk", "rpm"}:
        ecosystem = _distro_ecosystem(purl)
        name = purl.name
    else:
        return None
    if ecosystem is None:
        return None
    qualifiers = dict(purl.qualifiers or {})
    source = qualifiers.get("upstream") or qualifiers.get("source")
    return Package.create(
        name=name,
        version=purl.version,
        ecosystem=ecosystem,
        source_name=str(source).split("@", 1)[0] if source else None,
        locations=(PackageLocation(path=path),),
    )


def parse_sbom(data: bytes, path: str, limits: SbomLimits | None = None) -> SbomDocument:
    """Parse a CycloneDX or SPDX 2 JSON SBOM; SbomError if it is neither or is broken."""
    limits = limits or SbomLimits()
    if len(data) > limits.max_bytes:
        raise SbomError(f"{path}: SBOM larger than {limits.max_bytes} bytes")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise SbomError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(document, dict):
        raise SbomError(f"{path}: not an SBOM (the JSON is not an object)")
    if "bomFormat" in document:
        return _cyclonedx(document, data, path, limits)
    if "spdxVersion" in document:
        return _spdx(document, path, limits)
    raise SbomError(f"{path}: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) SBOM")


def _cyclonedx(
    document: dict[str, Any], data: bytes, path: str, limits: SbomLimits
) -> SbomDocument:
    if document.get("bomFormat") != "CycloneDX":
        raise SbomError(f"{path}: bomFormat is {document.get('bomFormat')!r}, not 'CycloneDX'")
    version = document.get("specVersion")
    if version not in _CDX_VERSIONS:
        raise SbomError(f"{path}: unsupported CycloneDX specVersion {version!r}")
    _check_timestamp(document, path)
    _check_schema(data, str(version), path)
    metadata = document.get("metadata")
    components = list(_components(document.get("components"), path, limits, depth=0))
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        product = metadata["component"]
        if product.get("purl") or product.get("type") == "operating-system":
            components.append(product)  # the described product counts only as a package
    return _collect("cyclonedx", str(version), components, path, limits)


def _check_timestamp(document: dict[str, Any], path: str) -> None:
    metadata = document.get("metadata")
    stamp = metadata.get("timestamp") if isinstance(metadata, dict) else None
    if stamp is None:
        return
    problem = SbomError(f"{path}: metadata.timestamp {stamp!r} is not a date-time")
    if "T" not in str(stamp).upper():  # a date alone is not a date-time (RFC 3339)
        raise problem
    try:
        datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        raise problem from None


@lru_cache(maxsize=8)
def _validator(version: str) -> Any:
    """The library's strict validator for a version (built once: schema loading is slow)."""
    try:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator
    except ImportError:
        return None
    schema = getattr(SchemaVersion, "V" + version.replace(".", "_"), None)
    return JsonStrictValidator(schema) if schema is not None else None


def _check_schema(data: bytes, version: str, path: str) -> None:
    """Validate against the specification's schema where the library is installed."""
    validator = _validator(version)
    if validator is None:
        return
    try:
        error = validator.validate_str(data.decode("utf-8"))
    except ImportError:  # the library is there, its jsonschema dependency is not
        return
    if error is None:
        return
    where = "/".join(str(p) for p in getattr(error.data, "absolute_path", ()))
    if "signature" in where.split("/"):
        return  # JSF signatures: Python's validator rejects valid ones (corpus notes)
    message = str(getattr(error.data, "message", error))[:200]
    raise SbomError(f"{path}: not valid CycloneDX {version} at /{where}: {message}")


def _components(
    value: object, path: str, limits: SbomLimits, *, depth: int
) -> Iterator[dict[str, Any]]:
    if value is None:
        return
    if not isinstance(value, list):
        raise SbomError(f"{path}: components is not a list")
    if depth > limits.max_depth:
        raise SbomError(f"{path}: components nested deeper than {limits.max_depth}")
    for item in value:
        if not isinstance(item, dict):
            raise SbomError(f"{path}: a component is not an object")
        yield item
        yield from _components(item.get("components"), path, limits, depth=depth + 1)


def _collect(
    fmt: str, version: str, components: list[dict[str, Any]], path: str, limits: SbomLimits
) -> SbomDocument:
    if len(components) > limits.max_components:
        raise SbomError(f"{path}: more than {limits.max_components} components (limit)")
    packages: dict[str, Package] = {}
    skipped = 0
    system: OperatingSystem | None = None
    for component in components:
        if component.get("type") == "operating-system" and component.get("name"):
            system = OperatingSystem(
                family=str(component["name"]).lower(),
                name=str(component.get("description") or component["name"]),
                version=str(component.get("version") or ""),
            )
            continue
        purl = component.get("purl")
        package = package_from_purl(purl, path) if isinstance(purl, str) else None
        if package is None:
            skipped += 1
            continue
        packages.setdefault(package.purl, package)
    return SbomDocument(
        format=fmt,
        spec_version=version,
        packages=tuple(packages.values()),
        operating_system=system,
        skipped=skipped,
    )


def _spdx(document: dict[str, Any], path: str, limits: SbomLimits) -> SbomDocument:
    version = str(document.get("spdxVersion"))
    if not version.startswith("SPDX-2."):
        raise SbomError(f"{path}: unsupported spdxVersion {version!r} (SPDX 2.x JSON is read)")
    packages = document.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise SbomError(f"{path}: packages is not a list of objects")
    components: list[dict[str, Any]] = []
    for package in packages:
        refs = package.get("externalRefs") or []
        if not isinstance(refs, list):
            raise SbomError(f"{path}: externalRefs of {package.get('SPDXID')} is not a list")
        purls = [
            r.get("referenceLocator")
            for r in refs
            if isinstance(r, dict) and r.get("referenceType") == "purl"
        ]
        purpose = package.get("primaryPackagePurpose")
        kind = "operating-system" if purpose == "OPERATING-SYSTEM" else "library"
        components.append(
            {
                "type": kind,
                "name": package.get("name"),
                "version": package.get("versionInfo"),
                "description": package.get("description"),
                "purl": purls[0] if purls else None,
            }
        )
    return _collect("spdx", version.removeprefix("SPDX-"), components, path, limits)
