"""``VulnerabilityScanner``: every inventory package against the local OSV database.

One finding per (package, vulnerability): records that alias each other (PYSEC, GHSA,
CVE) are merged into one finding listing every id. The database is opened once per
scan, read-only. When there is no database the scan does not crash and does not
pretend: ``scan_inventory`` raises ScanError, which the engine records in the
coverage manifest as a failed ``(inventory)`` input, so "no vulnerabilities" can never
be read into a scan that matched nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from secloop.core.finding import Finding, FindingKind
from secloop.core.package import Package
from secloop.core.rule import Rule
from secloop.scan.interface import Inventory, ScanError, Scanner
from secloop.scan.vuln.findings import FindingBuilder, package_location
from secloop.vulndb.collector import collector_paused
from secloop.vulndb.compiled import BatchMatcher
from secloop.vulndb.errors import UnknownEcosystemError, VulnDBError
from secloop.vulndb.matching import group_by_alias
from secloop.vulndb.store import VulnerabilityStore, default_db_path
from secloop.vulndb.versions import comparator_for

__all__ = ["VulnerabilityScanner"]


def _names(package: Package) -> tuple[str, ...]:
    """Distribution advisories name source packages; language ones the package itself."""
    return tuple(dict.fromkeys(n for n in (package.source_name, package.name) if n))


Release = tuple[str, tuple[str, ...], str]  # ecosystem, names, version: a BatchMatcher query


def _prefetch(matcher: BatchMatcher, releases: Iterable[Release]) -> set[str]:
    """One batch of index queries per ecosystem instead of one query per package (for
    the ecosystems matched in Python: :meth:`BatchMatcher.prefetch`). Returns the
    ecosystems that have a version order: the others match nothing."""
    by_ecosystem: dict[str, set[str]] = {}
    for ecosystem, package_names, _ in releases:
        by_ecosystem.setdefault(ecosystem, set()).update(package_names)
    known: set[str] = set()
    for ecosystem, names in by_ecosystem.items():
        try:
            comparator_for(ecosystem)
        except UnknownEcosystemError:
            continue  # nothing to match it with: not worth reading
        known.add(ecosystem)
        matcher.prefetch(ecosystem, names)
    return known


_BATCH = 2000  # releases matched per bulk read of the matching records' facts


def _release(package: Package) -> Release:
    return (package.ecosystem, _names(package), package.version)


def _relocated(finding: Finding, package: Package) -> Finding:
    """A finding already built for the same release, moved to another occurrence."""
    return replace(finding, package=package, location=package_location(package))


class VulnerabilityScanner(Scanner):
    """Matches inventory packages against ``db_path`` (default: :func:`default_db_path`)."""

    name = "vuln"
    kind = FindingKind.VULNERABILITY
    uses_inventory = True

    def __init__(
        self, db_path: Path | None = None, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self._db_path = db_path
        self._environ = environ

    @property
    def db_path(self) -> Path:
        """Resolved at scan time, so ``SECLOOP_DB`` set after start-up is honoured."""
        return self._db_path or default_db_path(self._environ)

    def rules(self) -> Sequence[Rule]:
        """Advisory ids are the rules; reports describe them from the findings."""
        return ()

    def scan_inventory(self, inventory: Inventory) -> Iterable[Finding]:
        path = self.db_path
        if not path.is_file():
            raise ScanError(
                f"vulnerability database not found at {path}; "
                "run `secloop db import` or `secloop db update`"
            )
        try:
            # the store closes (and drops its caches) before the collector runs again
            with collector_paused(), VulnerabilityStore(path) as store:
                return list(self._scan(store, inventory.packages))
        except VulnDBError as err:
            raise ScanError(str(err)) from None

    def _scan(self, store: VulnerabilityStore, packages: Sequence[Package]) -> Iterator[Finding]:
        # a package without a version is a git or path dependency: no release to match
        releases = [_release(p) if p.version else None for p in packages]
        # The same release often appears in many lockfiles: match it once per scan.
        first: dict[Release, Package] = {}
        for release, package in zip(releases, packages, strict=True):
            if release is not None:
                first.setdefault(release, package)
        matcher = BatchMatcher(store)
        known = _prefetch(matcher, first)
        done: dict[Release, Sequence[Finding]] = dict.fromkeys(first, ())
        matched = [r for r in first if r[0] in known]
        builder = FindingBuilder(self.name)
        for start in range(0, len(matched), _BATCH):
            batch = matched[start : start + _BATCH]
            for release, matches in zip(batch, matcher.match_many(batch), strict=True):
                done[release] = builder.build(first[release], group_by_alias(matches))
        for release, package in zip(releases, packages, strict=True):
            if release is None:
                continue
            if first[release] is package:
                yield from done[release]
            else:
                yield from (_relocated(f, package) for f in done[release])
