"""Building one vulnerability finding from a group of aliased advisory matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from secloop.core.finding import Finding, FindingKind, VulnerabilityDetail
from secloop.core.location import Location
from secloop.core.package import Package, build_purl
from secloop.core.severity import Severity
from secloop.scan.vuln.severity import cvss_vectors, severity_of
from secloop.vulndb.compiled import merge_fixes
from secloop.vulndb.facts import AdvisoryFacts
from secloop.vulndb.matching import Match, sort_versions
from secloop.vulndb.versions import comparator_for, key_for

__all__ = ["FindingBuilder", "finding_for", "package_location", "primary_advisory"]

_TITLE_LIMIT = 120


@lru_cache(maxsize=65536)
def _package_key(ecosystem: str, name: str) -> str:
    """The purl without a version: the package part of a finding's anchor."""
    return build_purl(ecosystem, name, None)


def package_location(package: Package) -> Location:
    """Where a finding about a package points: the first place the package was seen,
    down to the line of its entry when the manifest has one."""
    if not package.locations:
        return Location()
    found = package.locations[0]
    return Location(path=found.path, start_line=found.line, layer=found.layer)


def _id_rank(identifier: str) -> int:
    if identifier.startswith("CVE-"):
        return 2
    return 1 if identifier.startswith("GHSA-") else 0


def primary_advisory(advisories: Sequence[AdvisoryFacts]) -> AdvisoryFacts:
    """The id a finding is reported under: the ecosystem database's own id (PYSEC,
    RUSTSEC, GO, DSA...) before a GHSA, before a bare CVE, then the smallest id, so
    the choice is stable between runs and matches what the ecosystem's tools print."""
    return min(advisories, key=lambda a: (_id_rank(a.id), a.id))


def _advisory_title(primary: AdvisoryFacts, advisories: Sequence[AdvisoryFacts]) -> str | None:
    """A summary, else the first line of the details; None when the records have neither."""
    for advisory in (primary, *advisories):
        if advisory.summary:
            return advisory.summary
    for advisory in (primary, *advisories):
        first_line = advisory.headline
        if first_line:
            return first_line if len(first_line) <= _TITLE_LIMIT else first_line[:117] + "..."
    return None


def _title(primary: AdvisoryFacts, advisories: Sequence[AdvisoryFacts], package: Package) -> str:
    return _advisory_title(primary, advisories) or f"{primary.id} in {package.name}"


def _remediation(package: Package, fixed: Sequence[str]) -> str | None:
    if not fixed:
        return None
    return f"Upgrade {package.name} to {fixed[0]} or later."


def finding_for(package: Package, group: Sequence[Match], *, scanner: str) -> Finding:
    """One finding for one package and one vulnerability (all its aliased records)."""
    advisories = [m.facts for m in group]
    primary = primary_advisory(advisories)
    ids = {i for a in advisories for i in a.all_ids}
    aliases = tuple(sorted(ids - {primary.id}))
    compare = comparator_for(package.ecosystem)
    fixed = tuple(sort_versions({v for m in group for v in m.fixed_versions}, compare))
    fix_text = f"fixed in {', '.join(fixed)}" if fixed else "no fixed version"
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=primary.id,
        severity=severity_of(advisories),
        title=_title(primary, advisories, package),
        message=f"{package.name} {package.version} is affected by {primary.id}"
        + (f" ({', '.join(aliases)})" if aliases else "")
        + f"; {fix_text}",
        location=package_location(package),
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


@dataclass(frozen=True, slots=True, kw_only=True)
class _GroupFacts:
    """What a finding takes from its advisories alone, whatever the package version."""

    primary_id: str
    aliases: tuple[str, ...]
    affected_by: str  # the message's middle: " is affected by ID (ALIAS, ...); "
    severity: Severity
    title: str | None  # None: no summary or details, the title names the package
    references: tuple[str, ...]
    cvss_vectors: tuple[str, ...]


def _single_facts(advisory: AdvisoryFacts) -> _GroupFacts:
    """:func:`_group_facts` of one record, the common case, without the merging."""
    aliases = tuple(sorted({*advisory.aliases} - {advisory.id})) if advisory.aliases else ()
    return _GroupFacts(
        primary_id=advisory.id,
        aliases=aliases,
        affected_by=_affected_by(advisory.id, aliases),
        severity=severity_of((advisory,)),
        title=_advisory_title(advisory, ()),
        references=tuple(dict.fromkeys(advisory.references)),
        cvss_vectors=cvss_vectors((advisory,)),
    )


def _affected_by(primary_id: str, aliases: Sequence[str]) -> str:
    return f" is affected by {primary_id}" + (f" ({', '.join(aliases)})" if aliases else "") + "; "


def _group_facts(advisories: Sequence[AdvisoryFacts]) -> _GroupFacts:
    primary = primary_advisory(advisories)
    ids = {i for a in advisories for i in a.all_ids}
    aliases = tuple(sorted(ids - {primary.id}))
    return _GroupFacts(
        primary_id=primary.id,
        aliases=aliases,
        affected_by=_affected_by(primary.id, aliases),
        severity=severity_of(advisories),
        title=_advisory_title(primary, advisories),
        references=tuple(dict.fromkeys(r for a in advisories for r in a.references)),
        cvss_vectors=cvss_vectors(advisories),
    )


class FindingBuilder:
    """:func:`finding_for` for a whole scan: the advisory-only parts of a finding
    (primary id, aliases, severity, title, references) are computed once per group of
    records, and the fixed versions are merged with cached sort keys, since a large
    inventory repeats the same groups across many package versions."""

    def __init__(self, scanner: str) -> None:
        self._scanner = scanner
        self._facts: dict[str | tuple[str, ...], _GroupFacts] = {}  # by the group's ids

    def _facts_of(self, group: Sequence[Match]) -> _GroupFacts:
        if len(group) == 1:
            ids: str | tuple[str, ...] = group[0].facts.id
            facts = self._facts.get(ids)
            if facts is None:
                facts = self._facts[ids] = _single_facts(group[0].facts)
            return facts
        ids = tuple(m.facts.id for m in group)
        facts = self._facts.get(ids)
        if facts is None:
            facts = self._facts[ids] = _group_facts([m.facts for m in group])
        return facts

    def build(self, package: Package, groups: Sequence[Sequence[Match]]) -> list[Finding]:
        """Equal to ``[finding_for(package, g, scanner=...) for g in groups]``."""
        if not groups:
            return []  # most packages of an inventory
        location = package_location(package)
        purl = _package_key(package.ecosystem, package.name)
        findings: list[Finding] = []
        for group in groups:
            facts = self._facts_of(group)
            if len(group) == 1:
                fixed = group[0].fixed_versions
            else:
                key = key_for(package.ecosystem)
                fixed = merge_fixes((key(v), v) for m in group for v in m.fixed_versions)
            findings.append(self._finding(package, facts, fixed, location, purl))
        return findings

    def _finding(
        self,
        package: Package,
        facts: _GroupFacts,
        fixed: tuple[str, ...],
        location: Location,
        purl: str,
    ) -> Finding:
        primary_id = facts.primary_id
        fix_text = f"fixed in {', '.join(fixed)}" if fixed else "no fixed version"
        return Finding(
            kind=FindingKind.VULNERABILITY,
            rule_id=primary_id,
            severity=facts.severity,
            title=facts.title or f"{primary_id} in {package.name}",
            message=f"{package.name} {package.version}{facts.affected_by}{fix_text}",
            location=location,
            scanner=self._scanner,
            anchor=f"{purl}|{primary_id}",
            remediation=_remediation(package, fixed),
            references=facts.references,
            package=package,
            vulnerability=VulnerabilityDetail(
                advisory_id=primary_id,
                aliases=facts.aliases,
                installed_version=package.version,
                fixed_versions=fixed,
                cvss_vectors=facts.cvss_vectors,
            ),
        )
