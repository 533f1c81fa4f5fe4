"""VEX as a suppression source: CycloneDX VEX and OpenVEX statements.

A statement that a vulnerability does not affect a product suppresses the matching
findings, which stay in the report marked (kind EXTERNAL, source ``VEX:<file>``) with
the statement's state, justification and detail as the reason, so an auditor sees
why a finding does not count. States that suppress:

* CycloneDX ``analysis.state``: ``not_affected``, ``false_positive``, ``resolved``,
  ``resolved_with_pedigree``; ``exploitable`` and ``in_triage`` keep the finding.
* OpenVEX ``status``: ``not_affected`` and ``fixed``; ``affected`` and
  ``under_investigation`` keep it.

Matching (fail closed: a statement suppresses only what it names):

1. the statement's vulnerability id must be the finding's advisory id or an alias;
2. each ``affects`` ref (CycloneDX) or product ``@id`` (OpenVEX) is resolved to a
   purl: directly, or through a component of the VEX document with that bom-ref;
3. a purl matches a finding's package when type, namespace and name agree and, if
   the statement's purl has a version, the version too (qualifiers are ignored);
4. a ref that resolves to no purl names the product as a whole (CycloneDX
   ``metadata.component``, a ``urn:cdx:`` BOM link): the user gave the VEX for the
   thing being scanned, so it applies to every package with that vulnerability.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from secloop.core.errors import ConfigError
from secloop.core.finding import Finding, Suppression, SuppressionKind

__all__ = ["VexDocument", "VexStatement", "apply_vex", "load_vex", "parse_vex"]

_MAX_BYTES = 64 * 1024 * 1024
_CDX_SUPPRESS = {"not_affected", "false_positive", "resolved", "resolved_with_pedigree"}
_OPENVEX_SUPPRESS = {"not_affected", "fixed"}


@dataclass(frozen=True, slots=True)
class _PurlKey:
    type: str
    namespace: str
    name: str
    version: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VexStatement:
    """One suppressing statement; ``products`` empty means the whole product."""

    vulnerability: str
    products: tuple[_PurlKey, ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VexDocument:
    source: str  # "VEX:<file>"
    statements: tuple[VexStatement, ...]


def _purl_key(text: str) -> _PurlKey | None:
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    return _PurlKey(purl.type, (purl.namespace or "").lower(), purl.name.lower(), purl.version)


def load_vex(path: Path) -> VexDocument:
    """Read a CycloneDX VEX or OpenVEX JSON file; ConfigError naming it if unusable."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the VEX file ({err.strerror or err})") from None
    if len(data) > _MAX_BYTES:
        raise ConfigError(f"{path}: VEX file larger than {_MAX_BYTES} bytes")
    return parse_vex(data, str(path))


def parse_vex(data: bytes, name: str) -> VexDocument:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise ConfigError(f"{name}: not valid JSON ({err})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{name}: not a VEX document")
    if document.get("bomFormat") == "CycloneDX":
        statements = tuple(_cyclonedx_statements(document, name))
    elif str(document.get("@context", "")).startswith("https://openvex.dev/ns"):
        statements = tuple(_openvex_statements(document, name))
    else:
        raise ConfigError(f"{name}: neither CycloneDX VEX nor OpenVEX")
    return VexDocument(source=f"VEX:{name}", statements=statements)


def _objects(value: object, name: str, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{name}: {what} is not a list of objects")
    return value


def _component_purls(document: dict[str, Any], name: str) -> dict[str, str]:
    """bom-ref -> purl for every component the VEX document itself lists."""
    found: dict[str, str] = {}
    pending = _objects(document.get("components"), name, "components")
    metadata = document.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        pending.append(metadata["component"])
    while pending:
        component = pending.pop()
        ref, purl = component.get("bom-ref"), component.get("purl")
        if isinstance(ref, str) and isinstance(purl, str):
            found[ref] = purl
        pending.extend(_objects(component.get("components"), name, "components"))
    return found


def _cyclonedx_statements(document: dict[str, Any], name: str) -> Iterator[VexStatement]:
    purls = _component_purls(document, name)
    for entry in _objects(document.get("vulnerabilities"), name, "vulnerabilities"):
        analysis = entry.get("analysis")
        if not isinstance(analysis, dict) or analysis.get("state") not in _CDX_SUPPRESS:
            continue
        vulnerability = entry.get("id")
        if not isinstance(vulnerability, str):
            raise ConfigError(f"{name}: a vulnerability with an analysis has no id")
        refs = [a.get("ref") for a in _objects(entry.get("affects"), name, "affects")]
        keys = [_purl_key(purls.get(r, r)) for r in refs if isinstance(r, str)]
        parts = [analysis.get("state"), analysis.get("justification"), analysis.get("detail")]
        yield VexStatement(
            vulnerability=vulnerability,
            products=_products(keys),
            reason=": ".join(str(p) for p in parts if p),
        )


def _products(keys: Sequence[_PurlKey | None]) -> tuple[_PurlKey, ...]:
    """Rule (4): any ref that is not a package makes the statement product-wide."""
    if not keys or any(k is None for k in keys):
        return ()
    return tuple(k for k in keys if k is not None)


def _openvex_statements(document: dict[str, Any], name: str) -> Iterator[VexStatement]:
    for entry in _objects(document.get("statements"), name, "statements"):
        if entry.get("status") not in _OPENVEX_SUPPRESS:
            continue
        vulnerability = entry.get("vulnerability")
        vuln_id = vulnerability.get("name") if isinstance(vulnerability, dict) else vulnerability
        if not isinstance(vuln_id, str):
            raise ConfigError(f"{name}: a statement has no vulnerability name")
        products = _objects(entry.get("products"), name, "products")
        keys = [_purl_key(str(p.get("@id", ""))) for p in products]
        parts = [entry.get("status"), entry.get("justification"), entry.get("impact_statement")]
        yield VexStatement(
            vulnerability=vuln_id,
            products=_products(keys),
            reason=": ".join(str(p) for p in parts if p),
        )


def _matches(statement: VexStatement, finding: Finding) -> bool:
    detail = finding.vulnerability
    if detail is None or statement.vulnerability not in {detail.advisory_id, *detail.aliases}:
        return False  # (1)
    if not statement.products:
        return True  # (4)
    package = _purl_key(finding.package.purl) if finding.package is not None else None
    if package is None:
        return False
    return any(
        (p.type, p.namespace, p.name) == (package.type, package.namespace, package.name)
        and (p.version is None or p.version == package.version)
        for p in statement.products
    )  # (3)


def apply_vex(findings: Iterable[Finding], vex: VexDocument) -> list[Finding]:
    """Mark each not yet suppressed finding that a statement covers."""
    by_id: dict[str, list[VexStatement]] = {}
    for candidate in vex.statements:
        by_id.setdefault(candidate.vulnerability, []).append(candidate)
    marked: list[Finding] = []
    for finding in findings:
        statement = None
        if finding.suppression is None and finding.vulnerability is not None:
            ids = (finding.vulnerability.advisory_id, *finding.vulnerability.aliases)
            candidates = (s for i in ids for s in by_id.get(i, ()))
            statement = next((s for s in candidates if _matches(s, finding)), None)
        if statement is None:
            marked.append(finding)
            continue
        suppression = Suppression(
            kind=SuppressionKind.EXTERNAL, reason=statement.reason, source=vex.source
        )
        marked.append(replace(finding, suppression=suppression))
    return marked
