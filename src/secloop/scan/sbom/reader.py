"""Reading CycloneDX (1.2-1.7) and SPDX 2.x JSON SBOMs into packages.

An SBOM is untrusted input. It is read with limits (bytes, components, nesting
depth), and a document that is not a CycloneDX or SPDX 2 SBOM, or breaks what we
rely on, is an :class:`SbomError` naming the file and the reason. A CycloneDX BOM is
also checked against the specification's schema when ``cyclonedx-python-lib`` (the
``sbom`` extra) is installed; JSF ``signature`` objects are exempt, because Python's
jsonschema rejects the specification's own signed examples (see the corpus notes).

Packages come from purls: a component without one, or of a purl type no OSV
ecosystem covers (``github``, ``generic``), is counted as skipped, never guessed; a
component without a purl that other components hang from (a lockfile or application
grouping its packages, as secloop and Trivy write them) is structure, not skipped.
What else a package carries is kept: its declared licence (CycloneDX ``licenses``:
``license.id``, ``license.name`` or ``expression``, several entries all applying;
SPDX ``licenseDeclared``, else ``licenseConcluded``), so the licence policy applies
to a scanned SBOM as to a scanned tree; the dependency graph (CycloneDX
``dependencies``, SPDX ``DEPENDS_ON`` and ``DEPENDENCY_OF`` relationships) as
``depends_on``; and whether the project declares it (the ``secloop:direct`` property
secloop writes, else whether the described product depends on it directly, or
through such grouping components only).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from packageurl import PackageURL

from secloop.core.license import normalize_license
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
    root: str | None = None
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        product = metadata["component"]
        root = str(product.get("bom-ref") or "") or None
        if product.get("purl") or product.get("type") == "operating-system":
            components.append(product)  # the described product counts only as a package
    graph = _Graph(root=root, edges=list(_cyclonedx_edges(document.get("dependencies"), path)))
    return _collect("cyclonedx", str(version), components, path, limits, graph=graph)


def _cyclonedx_edges(value: object, path: str) -> Iterator[tuple[str, str]]:
    """(ref, ref it depends on) pairs of a CycloneDX ``dependencies`` array."""
    if value is None:
        return
    if not isinstance(value, list):
        raise SbomError(f"{path}: dependencies is not a list")
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("dependsOn", []), list):
            raise SbomError(f"{path}: a dependencies entry is not an object with a dependsOn list")
        parent = str(entry.get("ref", ""))
        yield from ((parent, str(child)) for child in entry.get("dependsOn", []))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Graph:
    """What an SBOM says of dependencies, by its own element references (CycloneDX
    bom-refs, SPDX ids): the described product's reference and the edges."""

    root: str | None = None
    edges: list[tuple[str, str]]


def _cyclonedx_license(component: dict[str, Any]) -> str | None:
    """A component's declared licence: its ``expression``, or its ``license`` entries
    (id, else name), several joined with AND since each applies."""
    choices = component.get("licenses")
    if not isinstance(choices, list):
        return None
    parts: list[str] = []
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        if isinstance(choice.get("expression"), str):
            parts.append(choice["expression"])
        elif isinstance(licence := choice.get("license"), dict):
            named = licence.get("id") or licence.get("name")
            if isinstance(named, str) and named:
                parts.append(named)
    if not parts:
        return None
    if len(parts) > 1:  # a compound part keeps its own grouping under AND
        parts = [f"({p})" if " " in p.strip() else p for p in parts]
    joined = " AND ".join(parts)
    return normalize_license(joined)


def _direct_property(component: dict[str, Any]) -> bool | None:
    properties = component.get("properties")
    for item in properties if isinstance(properties, list) else ():
        if isinstance(item, dict) and item.get("name") == "secloop:direct":
            return str(item.get("value")).lower() == "true"
    return None


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
    fmt: str,
    version: str,
    components: list[dict[str, Any]],
    path: str,
    limits: SbomLimits,
    *,
    graph: _Graph,
) -> SbomDocument:
    if len(components) > limits.max_components:
        raise SbomError(f"{path}: more than {limits.max_components} components (limit)")
    packages: dict[str, Package] = {}
    # a component without a purl that others hang from is a grouping node (a lockfile,
    # an application, as secloop and Trivy write them), not a package left unscanned
    grouping = {parent for parent, _ in graph.edges}
    purl_of: dict[str, str] = {}  # the SBOM's element reference -> package purl
    direct: dict[str, bool | None] = {}
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
            if not (purl is None and str(component.get("bom-ref")) in grouping):
                skipped += 1  # a package that cannot be matched: said, not dropped
            continue
        if licence := _cyclonedx_license(component):
            package = replace(package, license=licence)
        packages.setdefault(package.purl, package)
        direct.setdefault(package.purl, _direct_property(component))
        if ref := component.get("bom-ref"):
            purl_of[str(ref)] = package.purl
    return SbomDocument(
        format=fmt,
        spec_version=version,
        packages=_with_graph(packages, purl_of, direct, graph),
        operating_system=system,
        skipped=skipped,
    )


def _with_graph(
    packages: dict[str, Package],
    purl_of: dict[str, str],
    direct: dict[str, bool | None],
    graph: _Graph,
) -> tuple[Package, ...]:
    """Packages with ``depends_on`` from the graph's edges between packages, and
    ``direct`` from the property, else from the described product's edges."""
    children: dict[str, dict[str, None]] = {}
    from_root: set[str] = set()
    product = _product_side(graph, purl_of)
    for parent, child in graph.edges:
        child_purl = purl_of.get(child)
        if child_purl is None:
            continue
        if parent in product:
            from_root.add(child_purl)
        elif (parent_purl := purl_of.get(parent)) and parent_purl != child_purl:
            children.setdefault(parent_purl, {})[child_purl] = None
    return tuple(
        replace(
            package,
            depends_on=tuple(children.get(purl, ())),
            direct=_direct_of(direct.get(purl), purl, from_root),
        )
        for purl, package in packages.items()
    )


def _product_side(graph: _Graph, purl_of: dict[str, str]) -> set[str]:
    """The described product and the grouping nodes under it (its manifests: elements
    without a package, reached from the product through such elements only); what
    they depend on is what the product declares."""
    if graph.root is None:
        return set()
    below: dict[str, list[str]] = {}
    for parent, child in graph.edges:
        if child not in purl_of:
            below.setdefault(parent, []).append(child)
    side = {graph.root}
    pending = [graph.root]
    while pending:
        for child in below.get(pending.pop(), ()):
            if child not in side:
                side.add(child)
                pending.append(child)
    return side


def _direct_of(declared: bool | None, purl: str, from_root: set[str]) -> bool | None:
    if declared is not None:
        return declared
    if not from_root:  # the SBOM says nothing of what its product depends on
        return None
    return purl in from_root


def _spdx(document: dict[str, Any], path: str, limits: SbomLimits) -> SbomDocument:
    version = str(document.get("spdxVersion"))
    if not version.startswith("SPDX-2."):
        raise SbomError(f"{path}: unsupported spdxVersion {version!r} (SPDX 2.x JSON is read)")
    packages = document.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise SbomError(f"{path}: packages is not a list of objects")
    components: list[dict[str, Any]] = []
    extracted = _extracted_names(document)
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
        licence = _spdx_license(package, extracted)
        components.append(
            {
                "type": kind,
                "bom-ref": package.get("SPDXID"),
                "name": package.get("name"),
                "version": package.get("versionInfo"),
                "description": package.get("description"),
                "purl": purls[0] if purls else None,
                "licenses": [{"expression": licence}] if licence else None,
            }
        )
    graph = _spdx_graph(document.get("relationships"), path)
    return _collect("spdx", version.removeprefix("SPDX-"), components, path, limits, graph=graph)


_NO_LICENSE = frozenset({"NOASSERTION", "NONE", ""})


def _spdx_license(package: dict[str, Any], extracted: dict[str, str]) -> str | None:
    """``licenseDeclared``, else ``licenseConcluded``; a lone ``LicenseRef-`` the
    document extracts stands for its name (what the licence was declared as)."""
    for key in ("licenseDeclared", "licenseConcluded"):
        value = package.get(key)
        if isinstance(value, str) and value.strip() not in _NO_LICENSE:
            return extracted.get(value.strip(), value.strip())
    return None


def _extracted_names(document: dict[str, Any]) -> dict[str, str]:
    infos = document.get("hasExtractedLicensingInfos")
    return {
        str(info["licenseId"]): str(info["name"])
        for info in (infos if isinstance(infos, list) else ())
        if isinstance(info, dict) and info.get("licenseId") and info.get("name")
    }


def _spdx_graph(value: object, path: str) -> _Graph:
    """Dependency edges of SPDX relationships; the root is what the document DESCRIBES."""
    if value is None:
        return _Graph(edges=[])
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise SbomError(f"{path}: relationships is not a list of objects")
    return _Graph(root=_described(value), edges=list(_spdx_edges(value)))


def _described(relationships: Iterable[dict[str, Any]]) -> str | None:
    described = [
        str(r.get("relatedSpdxElement"))
        for r in relationships
        if r.get("relationshipType") == "DESCRIBES" and r.get("spdxElementId") == "SPDXRef-DOCUMENT"
    ]
    return described[0] if len(described) == 1 else None


def _spdx_edges(relationships: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for relationship in relationships:
        kind = relationship.get("relationshipType")
        element = str(relationship.get("spdxElementId"))
        related = str(relationship.get("relatedSpdxElement"))
        if kind == "DEPENDS_ON":
            yield element, related
        elif kind == "DEPENDENCY_OF":
            yield related, element
