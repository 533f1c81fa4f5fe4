"""SPDX 2.3 JSON: the scan's inventory as an SBOM.

Hand-written rather than built with ``spdx-tools``: that library pulls in rdflib,
beartype, ply, uritools, xmltodict and more for the one JSON shape we write, and the
document here is small and fully covered by tests of the specification's required
fields (SPDX 2.3 clauses 6 and 7) and relationships.

Shape: the document DESCRIBES one package for the scanned target, which CONTAINS
one package per purl (and one for the operating system, if known). The dependency
graph is ``DEPENDS_ON``, rooted at the target as in the CycloneDX output: the target
on one ``APPLICATION`` package per manifest (lockfile, package database, SBOM; named
by its path), each manifest on the packages it declares or that nothing else in it
requires, each package on the packages its lockfile says it requires (see
:func:`~secloop.output.cyclonedx.manifest_roots`). Where a package was found
(file, image layer) is kept as ``OTHER`` annotations, as SPDX 2.3 has no free-form
properties; vulnerabilities found in a package become ``SECURITY`` /
``advisory`` external references. A declared licence is ``licenseDeclared`` (a
declaration that is no SPDX expression becomes a ``LicenseRef-`` with its text under
``hasExtractedLicensingInfos``); ``licenseConcluded`` stays ``NOASSERTION``, since a
scanner concludes nothing. Determinism as for CycloneDX: the namespace
derives from :func:`~secloop.output.cyclonedx.sbom_serial` and times from
``finished_at``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from secloop.core.finding import Finding, FindingKind
from secloop.core.license import is_spdx_expression
from secloop.core.package import Package
from secloop.core.result import OperatingSystem, ScanResult
from secloop.core.target import Target, TargetKind
from secloop.output.cyclonedx import (
    dependency_graph,
    manifest_roots,
    sbom_serial,
    timestamp,
    unique_packages,
)
from secloop.output.interface import Formatter, OutputFormat, ReportContext

__all__ = ["DOCUMENT_ID", "TARGET_ID", "SpdxFormatter", "manifest_id_for", "spdx_id_for"]

DOCUMENT_ID = "SPDXRef-DOCUMENT"
TARGET_ID = "SPDXRef-Target"
_NOASSERTION = "NOASSERTION"
_NAMESPACE_BASE = "https://secloop.dev/spdxdocs/"
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_CONTAINERS = {TargetKind.IMAGE_ARCHIVE, TargetKind.OCI_LAYOUT, TargetKind.REGISTRY_IMAGE}
_LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")


def spdx_id_for(purl: str) -> str:
    """A stable SPDX identifier (``SPDXRef-[A-Za-z0-9.-]+``) for a purl."""
    return "SPDXRef-Package-" + hashlib.sha256(purl.encode("utf-8")).hexdigest()[:16]


class SpdxFormatter(Formatter):
    format = OutputFormat.SPDX

    def render(self, result: ScanResult, context: ReportContext) -> str:
        return json.dumps(spdx_document(result), indent=2, ensure_ascii=False) + "\n"


def spdx_document(result: ScanResult) -> dict[str, Any]:
    """The whole SPDX 2.3 document as JSON-ready data."""
    created = timestamp(result.finished_at)  # SPDX wants YYYY-MM-DDThh:mm:ssZ
    tool = f"Tool: secloop-{result.tool_version}"
    advisories = _advisories_by_purl(result.findings)
    packages = [_target_package(result.target)]
    relationships = [_relationship(DOCUMENT_ID, "DESCRIBES", TARGET_ID)]
    extracted: dict[str, str] = {}
    inventory = unique_packages(result.packages)
    for package in inventory:
        entry = _package(package, advisories.get(package.purl, ()), tool, created)
        entry["licenseDeclared"] = _declared_license(package.license, extracted)
        packages.append(entry)
        relationships.append(_relationship(TARGET_ID, "CONTAINS", spdx_id_for(package.purl)))
    if result.operating_system is not None:
        packages.append(_os_package(result.operating_system))
        relationships.append(_relationship(TARGET_ID, "CONTAINS", "SPDXRef-OperatingSystem"))
    manifests, placeless = manifest_roots(result.packages)
    for path in manifests:
        packages.append(_manifest_package(path, tool, created))
        relationships.append(_relationship(TARGET_ID, "CONTAINS", manifest_id_for(path)))
    relationships += _dependencies(inventory, manifests, placeless)
    safe_name = _UNSAFE.sub("-", result.target.name).strip("-") or "target"
    document: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": result.target.name,
        "documentNamespace": f"{_NAMESPACE_BASE}{safe_name}-{sbom_serial(result)}",
        "creationInfo": {"created": created, "creators": [tool]},
        "packages": packages,
        "relationships": relationships,
    }
    if extracted:
        document["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "name": text, "extractedText": text}
            for ref, text in sorted(extracted.items())
        ]
    return document


def _declared_license(declared: str | None, extracted: dict[str, str]) -> str:
    """``licenseDeclared`` for a package; every ``LicenseRef-`` it uses is recorded in
    ``extracted`` (id -> text), as SPDX 2.3 clause 10 requires of a document."""
    if declared is None:
        return _NOASSERTION
    if not is_spdx_expression(declared):
        ref = "LicenseRef-" + (_UNSAFE.sub("-", declared).strip("-") or "unnamed")
        extracted.setdefault(ref, declared)
        return ref
    for ref in _LICENSE_REF.findall(declared):
        extracted.setdefault(ref, ref.removeprefix("LicenseRef-"))
    return declared


def manifest_id_for(path: str) -> str:
    """A stable SPDX identifier for the manifest at ``path``."""
    return "SPDXRef-Manifest-" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]


def _dependencies(
    inventory: list[Package], manifests: dict[str, list[str]], placeless: list[str]
) -> list[dict[str, str]]:
    edges = dependency_graph(inventory)
    ids = {purl: spdx_id_for(purl) for purl in edges}  # hashed once, not once per edge
    found = []
    for path, roots in manifests.items():
        manifest = manifest_id_for(path)
        found.append(_relationship(TARGET_ID, "DEPENDS_ON", manifest))
        found += [_relationship(manifest, "DEPENDS_ON", ids[root]) for root in roots]
    found += [_relationship(TARGET_ID, "DEPENDS_ON", ids[root]) for root in placeless]
    for parent, children in edges.items():
        element = ids[parent]
        found += [_relationship(element, "DEPENDS_ON", ids[child]) for child in children]
    return found


def _relationship(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def _unasserted(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields SPDX requires of a package that a scan cannot know, said as NOASSERTION."""
    return {
        **fields,
        "downloadLocation": _NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": _NOASSERTION,
        "licenseDeclared": _NOASSERTION,
        "copyrightText": _NOASSERTION,
    }


def _target_package(target: Target) -> dict[str, Any]:
    purpose = "CONTAINER" if target.kind in _CONTAINERS else "APPLICATION"
    fields: dict[str, Any] = {"name": target.name, "SPDXID": TARGET_ID}
    if target.digest:
        fields["versionInfo"] = target.digest
    fields["primaryPackagePurpose"] = purpose
    return _unasserted(fields)


def _package(
    package: Package, advisories: Iterable[str], tool: str, created: str
) -> dict[str, Any]:
    refs = [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": package.purl,
        }
    ]
    refs += [
        {
            "referenceCategory": "SECURITY",
            "referenceType": "advisory",
            "referenceLocator": f"https://osv.dev/vulnerability/{advisory}",
        }
        for advisory in sorted(set(advisories))
    ]
    fields: dict[str, Any] = {"name": package.name, "SPDXID": spdx_id_for(package.purl)}
    if package.version:
        fields["versionInfo"] = package.version
    fields["primaryPackagePurpose"] = "LIBRARY"
    document = _unasserted(fields)
    document["externalRefs"] = refs
    annotations = [f"secloop:ecosystem={package.ecosystem}"]
    for location in package.locations:
        annotations.append(f"secloop:path={location.path}")
        if location.layer is not None:
            annotations.append(f"secloop:layer_diff_id={location.layer.diff_id}")
    document["annotations"] = [
        {"annotator": tool, "annotationDate": created, "annotationType": "OTHER", "comment": text}
        for text in annotations
    ]
    return document


def _manifest_package(path: str, tool: str, created: str) -> dict[str, Any]:
    document = _unasserted(
        {"name": path, "SPDXID": manifest_id_for(path), "primaryPackagePurpose": "APPLICATION"}
    )
    document["annotations"] = [
        {
            "annotator": tool,
            "annotationDate": created,
            "annotationType": "OTHER",
            "comment": f"secloop:manifest={path}",
        }
    ]
    return document


def _os_package(system: OperatingSystem) -> dict[str, Any]:
    return _unasserted(
        {
            "name": system.family,
            "SPDXID": "SPDXRef-OperatingSystem",
            "versionInfo": system.version,
            "description": system.name,
            "primaryPackagePurpose": "OPERATING-SYSTEM",
        }
    )


def _advisories_by_purl(findings: Iterable[Finding]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in findings:
        if finding.kind is FindingKind.VULNERABILITY and finding.package and finding.vulnerability:
            found.setdefault(finding.package.purl, []).append(finding.vulnerability.advisory_id)
    return found
