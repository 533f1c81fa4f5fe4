"""CycloneDX 1.6 JSON: the scan's inventory as an SBOM, its vulnerabilities as VEX data.

Written as plain JSON data, not through ``cyclonedx-python-lib``: that library's model
keeps sorted sets with costly comparisons and validates dependencies in quadratic
time, so a 2,000-package inventory took 17 s and a 10,000-package one 79 s to render
(this module: well under a second). Conformance is kept by tests instead: every
document is validated against the specification's official ``bom-1.6.schema.json``,
and read back by ``cyclonedx-python-lib`` where it is installed.

Determinism (golden files, reproducible builds): the serial number is a UUIDv5 of
the target, the finish time and the inventory, and the timestamp is the scan's
``finished_at``, never the clock. Components are keyed by purl; a package seen in
several files is one component listing every place (``secloop:path`` properties).
The dependency graph is the lockfiles' (:attr:`Package.depends_on`), rooted at the
scanned target (``metadata.component``): the target depends on one ``application``
component per manifest (each lockfile, package database or SBOM the packages were
read from, named by its path: :func:`manifest_roots`), each manifest on the packages it
declares (or, in a format that does not tell, those nothing else in it requires), and
every package on what its lockfile says it requires; a package found nowhere in
particular hangs from the target itself. So every component is reachable from the
target, and a monorepo's SBOM still says which project declares what. Whether the
project declares a package itself is also the ``secloop:direct`` property. Declared
licences are ``licenses``; development-only packages have the ``excluded`` scope.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.license import is_spdx_expression
from secloop.core.package import Package
from secloop.core.result import OperatingSystem, ScanResult
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = [
    "MANIFEST_REF",
    "TARGET_REF",
    "CycloneDxFormatter",
    "cyclonedx_document",
    "dependency_graph",
    "manifest_roots",
    "sbom_serial",
    "timestamp",
    "unique_packages",
]

TARGET_REF = "secloop:target"
MANIFEST_REF = "secloop:manifest:"  # + the manifest's path
_OSV_URL = "https://osv.dev/vulnerability/"
_SEVERITY_NAMES = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.UNKNOWN: "unknown",
}


def sbom_serial(result: ScanResult) -> uuid.UUID:
    """A serial number that changes exactly when the described inventory or scan does."""
    digest = hashlib.sha256()
    target = result.target
    for part in (target.kind, target.name, target.digest or "", result.finished_at.isoformat()):
        digest.update(part.encode("utf-8") + b"\0")
    for package in unique_packages(result.packages):
        digest.update(package.purl.encode("utf-8") + b"\0")
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:secloop:sbom:" + digest.hexdigest())


def unique_packages(packages: Iterable[Package]) -> list[Package]:
    """One package per purl, sorted, each listing every location it was seen at; it is
    direct if any manifest declares it, dev only if every one says so, and takes the
    first declared licence."""
    merged: dict[str, Package] = {}
    for package in packages:
        seen = merged.get(package.purl)
        merged[package.purl] = package if seen is None else _merged(seen, package)
    return [merged[purl] for purl in sorted(merged)]


def _merged(seen: Package, other: Package) -> Package:
    extra = tuple(loc for loc in other.locations if loc not in seen.locations)
    direct = seen.direct
    if other.direct is not None:
        direct = bool(seen.direct) or other.direct
    return replace(
        seen,
        locations=(*seen.locations, *extra),
        license=seen.license or other.license,
        direct=direct,
        dev=seen.dev and other.dev,
        depends_on=(*seen.depends_on, *(d for d in other.depends_on if d not in seen.depends_on)),
    )


def dependency_graph(packages: Sequence[Package]) -> dict[str, list[str]]:
    """Each purl of ``packages`` (one per purl, as from :func:`unique_packages`) mapped
    to the purls it depends on, keeping only those in the inventory."""
    known = {p.purl for p in packages}
    return {p.purl: [d for d in p.depends_on if d in known and d != p.purl] for p in packages}


def manifest_roots(packages: Iterable[Package]) -> tuple[dict[str, list[str]], list[str]]:
    """(manifest path -> the purls its graph starts from, purls found at no path).

    Computed on the inventory as found, before :func:`unique_packages` merges a package
    seen in several manifests (see :func:`_roots`). Sorted, for stable output.
    """
    by_path: dict[str, dict[str, Package]] = {}
    placeless: list[Package] = []
    for package in packages:
        for path in dict.fromkeys(location.path for location in package.locations):
            by_path.setdefault(path, {}).setdefault(package.purl, package)
        if not package.locations:
            placeless.append(package)
    manifests = {path: sorted(_roots(found.values())) for path, found in sorted(by_path.items())}
    return manifests, sorted(_roots(placeless))


def _roots(packages: Iterable[Package]) -> set[str]:
    """What the manifest itself depends on: the packages it declares (``direct``) and
    those no other of its packages requires — a flat list (no graph recorded) hangs
    whole from it, a lockfile from the top of its graph. A group that only requires
    itself (a cycle nothing declares) would be unreachable: its first member is a root
    too, so every package stays reachable from the target."""
    packages = list(packages)
    known = {p.purl for p in packages}
    edges = {p.purl: [d for d in p.depends_on if d in known and d != p.purl] for p in packages}
    required = {child for children in edges.values() for child in children}
    roots = {p.purl for p in packages if p.direct or p.purl not in required}
    reached = _reachable(roots, edges)
    for package in packages:
        if package.purl not in reached:
            roots.add(package.purl)
            reached |= _reachable({package.purl}, edges)
    return roots


def _reachable(starts: set[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    pending = list(starts)
    while pending:
        for child in edges.get(pending.pop(), ()):
            if child not in seen:
                seen.add(child)
                pending.append(child)
    return seen


def timestamp(moment: datetime) -> str:
    """UTC, whole seconds, ``Z``: what both SBOM formats accept and peers print."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CycloneDxFormatter(Formatter):
    format = OutputFormat.CYCLONEDX

    def render(self, result: ScanResult, context: ReportContext) -> str:
        return json.dumps(cyclonedx_document(result), indent=2, ensure_ascii=False) + "\n"


def cyclonedx_document(result: ScanResult) -> dict[str, Any]:
    """The whole CycloneDX 1.6 document as JSON-ready data."""
    packages = unique_packages(result.packages)
    components = [_component(p) for p in packages]
    edges = dependency_graph(packages)
    manifests, roots = manifest_roots(result.packages)
    for path, manifest_roots_of in manifests.items():
        components.append(_manifest_component(path))
        edges[MANIFEST_REF + path] = manifest_roots_of
    roots += [MANIFEST_REF + path for path in manifests]
    if result.operating_system is not None:
        components.append(_os_component(result.operating_system))
        roots.append(str(components[-1]["bom-ref"]))
        edges[roots[-1]] = []
    refs = [str(c["bom-ref"]) for c in components]
    document: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": sbom_serial(result).urn,
        "version": 1,
        "metadata": {
            "timestamp": timestamp(result.finished_at),
            "tools": {
                "components": [
                    {"type": "application", "name": "secloop", "version": result.tool_version}
                ]
            },
            "component": _target_component(result.target),
        },
        "components": components,
        "dependencies": [
            {"ref": TARGET_REF, "dependsOn": roots},
            *(_dependency(ref, edges[ref]) for ref in refs),
        ],
    }
    vulnerabilities = _vulnerabilities(result.findings, set(refs))
    if vulnerabilities:
        document["vulnerabilities"] = vulnerabilities
    return document


def _dependency(ref: str, depends_on: list[str]) -> dict[str, Any]:
    return {"ref": ref, "dependsOn": depends_on} if depends_on else {"ref": ref}


def _property(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def _target_component(target: Target) -> dict[str, Any]:
    kind = {
        TargetKind.IMAGE_ARCHIVE: "container",
        TargetKind.OCI_LAYOUT: "container",
        TargetKind.REGISTRY_IMAGE: "container",
        TargetKind.FILE: "file",
    }.get(target.kind, "application")
    properties = [_property("secloop:target_kind", str(target.kind))]
    if target.digest:
        properties.append(_property("secloop:digest", target.digest))
    return {"type": kind, "bom-ref": TARGET_REF, "name": target.name, "properties": properties}


def _manifest_component(path: str) -> dict[str, Any]:
    """A file packages were read from, as the application it describes (as Trivy
    writes a lockfile); the reader takes it, a component without a purl that others
    hang from, for structure, not for a package."""
    return {
        "type": "application",
        "bom-ref": MANIFEST_REF + path,
        "name": path,
        "properties": [_property("secloop:manifest", path)],
    }


def _component(package: Package) -> dict[str, Any]:
    properties = [_property("secloop:ecosystem", package.ecosystem)]
    if package.source_name:
        properties.append(_property("secloop:source_name", package.source_name))
    for location in package.locations:
        properties.append(_property("secloop:path", location.path))
        if location.layer is not None:
            properties.append(_property("secloop:layer_diff_id", location.layer.diff_id))
    if package.direct is not None:
        properties.append(_property("secloop:direct", str(package.direct).lower()))
    component: dict[str, Any] = {"type": "library", "bom-ref": package.purl, "name": package.name}
    if package.version:
        component["version"] = package.version
    if package.dev:  # CycloneDX: "excluded" components serve tests and other non-runtime use
        component["scope"] = "excluded"
    if package.license:
        component["licenses"] = [_license_choice(package.license)]
    component["purl"] = package.purl
    component["properties"] = properties
    return component


def _license_choice(declared: str) -> dict[str, Any]:
    """A single SPDX licence id as ``license.id``, a compound expression (or one naming a
    ``LicenseRef-``) as ``expression``, anything else by ``license.name``."""
    if not is_spdx_expression(declared):
        return {"license": {"name": declared}}
    if " " in declared or "LicenseRef-" in declared or declared.endswith(")") or "+" in declared:
        return {"expression": declared}
    return {"license": {"id": declared}}


def _os_component(system: OperatingSystem) -> dict[str, Any]:
    return {
        "type": "operating-system",
        "bom-ref": f"secloop:os:{system.family}@{system.version}",
        "name": system.family,
        "version": system.version,
        "description": system.name,
    }


def _vulnerabilities(findings: Sequence[Finding], refs: set[str]) -> list[dict[str, Any]]:
    """One entry per advisory id, affecting every component it was found in."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.kind is not FindingKind.VULNERABILITY or finding.vulnerability is None:
            continue
        if finding.package is None or finding.package.purl not in refs:
            continue
        grouped.setdefault(finding.vulnerability.advisory_id, []).append(finding)
    return [_vulnerability(advisory, group) for advisory, group in sorted(grouped.items())]


def _vulnerability(advisory: str, group: list[Finding]) -> dict[str, Any]:
    group = sorted(group, key=lambda f: f.package.purl if f.package else "")
    first = group[0]
    aliases = sorted({a for f in group if f.vulnerability for a in f.vulnerability.aliases})
    entry: dict[str, Any] = {
        "bom-ref": f"secloop:vuln:{advisory}",
        "id": advisory,
        "source": _source(advisory),
    }
    if aliases:
        entry["references"] = [{"id": a, "source": _source(a)} for a in aliases]
    entry["ratings"] = _ratings(first.vulnerability, first.severity)
    entry["description"] = first.title
    if first.remediation:
        entry["recommendation"] = first.remediation
    entry["affects"] = [_affects(f.package, f.vulnerability) for f in group]
    suppressed = [
        _property("secloop:suppressed", f"{f.package.purl}: {f.suppression.reason}")
        for f in group
        if f.suppression is not None and f.package is not None
    ]
    if suppressed:
        entry["properties"] = suppressed
    return entry


def _source(identifier: str) -> dict[str, str]:
    if identifier.startswith("CVE-"):
        return {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{identifier}"}
    return {"name": "OSV", "url": _OSV_URL + identifier}


def _affects(package: Package | None, detail: VulnerabilityDetail | None) -> dict[str, Any]:
    """The installed version as affected, each fixed version as unaffected: CycloneDX
    has no "fixed in" field, and this is how its VEX examples say it."""
    if package is None or detail is None:  # excluded by _vulnerabilities
        return {}
    versions = [{"version": detail.installed_version, "status": "affected"}]
    versions += [{"version": v, "status": "unaffected"} for v in detail.fixed_versions]
    return {"ref": package.purl, "versions": versions}


def _ratings(detail: VulnerabilityDetail | None, severity: Severity) -> list[dict[str, Any]]:
    ratings: list[dict[str, Any]] = []
    for vector in detail.cvss_vectors if detail is not None else ():
        method, score = _cvss(vector)
        rating: dict[str, Any] = {}
        if score is not None:
            rating["score"] = score
        rating["severity"] = _severity_name(score, severity)
        rating["method"] = method
        rating["vector"] = vector
        ratings.append(rating)
    if not ratings:
        ratings.append({"severity": _SEVERITY_NAMES[severity], "method": "other"})
    return ratings


def _severity_name(score: float | None, fallback: Severity) -> str:
    if score is None:
        return _SEVERITY_NAMES[fallback]
    return _SEVERITY_NAMES[Severity.from_cvss_score(score)]


def _cvss(vector: str) -> tuple[str, float | None]:
    """The rating method and base score of a vector; a vector that does not parse keeps
    its text with no score rather than a made-up one."""
    import cvss  # type: ignore[import-untyped]  # no py.typed
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    if vector.startswith("CVSS:4"):
        method, calculator = "CVSSv4", cvss.CVSS4
    elif vector.startswith("CVSS:3.1"):
        method, calculator = "CVSSv31", cvss.CVSS3
    elif vector.startswith("CVSS:3"):
        method, calculator = "CVSSv3", cvss.CVSS3
    else:
        method, calculator = "CVSSv2", cvss.CVSS2
    try:
        return method, float(calculator(vector).base_score)
    except (CVSSError, ValueError, KeyError, IndexError):
        return method, None
