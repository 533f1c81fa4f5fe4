"""Building one vulnerability finding from a group of aliased advisory matches."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from secloop.core.advisory import Advisory
from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.location import Location
from secloop.core.package import Package, build_purl
from secloop.scan.vuln.severity import cvss_vectors, severity_of
from secloop.vulndb.matching import Match, sort_versions
from secloop.vulndb.versions import comparator_for

__all__ = ["finding_for", "primary_advisory"]

_TITLE_LIMIT = 120


@lru_cache(maxsize=65536)
def _package_key(ecosystem: str, name: str) -> str:
    """The purl without a version: the package part of a finding's anchor."""
    return build_purl(ecosystem, name, None)


def _id_rank(identifier: str) -> int:
    if identifier.startswith("CVE-"):
        return 2
    return 1 if identifier.startswith("GHSA-") else 0


def primary_advisory(advisories: Sequence[Advisory]) -> Advisory:
    """The id a finding is reported under: the ecosystem database's own id (PYSEC,
    RUSTSEC, GO, DSA...) before a GHSA, before a bare CVE, then the smallest id, so
    the choice is stable between runs and matches what the ecosystem's tools print."""
    return min(advisories, key=lambda a: (_id_rank(a.id), a.id))


def _title(primary: Advisory, advisories: Sequence[Advisory], package: Package) -> str:
    for advisory in (primary, *advisories):
        if advisory.summary.strip():
            return advisory.summary.strip()
    for advisory in (primary, *advisories):
        first_line = advisory.details.strip().split("\n", 1)[0]
        if first_line:
            return first_line if len(first_line) <= _TITLE_LIMIT else first_line[:117] + "..."
    return f"{primary.id} in {package.name}"


def _remediation(package: Package, fixed: Sequence[str]) -> str | None:
    if not fixed:
        return None
    return f"Upgrade {package.name} to {fixed[0]} or later."


def finding_for(package: Package, group: Sequence[Match], *, scanner: str) -> Finding:
    """One finding for one package and one vulnerability (all its aliased records)."""
    advisories = [m.advisory for m in group]
    primary = primary_advisory(advisories)
    ids = {i for a in advisories for i in a.all_ids}
    aliases = tuple(sorted(ids - {primary.id}))
    compare = comparator_for(package.ecosystem)
    fixed = tuple(sort_versions({v for m in group for v in m.fixed_versions}, compare))
    found = package.locations[0] if package.locations else None
    fix_text = f"fixed in {', '.join(fixed)}" if fixed else "no fixed version"
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=primary.id,
        severity=severity_of(advisories),
        title=_title(primary, advisories, package),
        message=f"{package.name} {package.version} is affected by {primary.id}"
        + (f" ({', '.join(aliases)})" if aliases else "")
        + f"; {fix_text}",
        location=Location(path=found.path if found else None, layer=found.layer if found else None),
        scanner=scanner,
        anchor=f"{_package_key(package.ecosystem, package.name)}|{primary.id}",
        remediation=_remediation(package, fixed),
        references=tuple(dict.fromkeys(r for a in advisories for r in a.references)),
        package=package,
        vulnerability=VulnerabilityDetail(
            advisory_id=primary.id,
            aliases=aliases,
            installed_version=package.version,
            fixed_versions=fixed,
            cvss_vectors=cvss_vectors(advisories),
        ),
    )
