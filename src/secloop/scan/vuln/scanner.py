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
from secloop.vulndb.compiled import BatchMatcher
from secloop.vulndb.errors import UnknownEcosystemError, VulnDBError
from secloop.vulndb.matching import group_by_alias
from secloop.vulndb.store import VulnerabilityStore, default_db_path
from secloop.vulndb.versions import comparator_for

__all__ = ["VulnerabilityScanner"]


def _names(package: Package) -> tuple[str, ...]:
    """Distribution advisories name source packages; language ones the package itself."""
    return tuple(dict.fromkeys(n for n in (package.source_name, package.name) if n))


def _prefetch(matcher: BatchMatcher, packages: Sequence[Package]) -> None:
    """One batch of index queries per ecosystem instead of one query per package."""
    by_ecosystem: dict[str, set[str]] = {}
    for package in packages:
        if package.version:
            by_ecosystem.setdefault(package.ecosystem, set()).update(_names(package))
    for ecosystem, names in by_ecosystem.items():
        try:
            comparator_for(ecosystem)
        except UnknownEcosystemError:
            continue  # nothing to match it with: not worth reading
        matcher.prefetch(ecosystem, names)


def _relocated(finding: Finding, package: Package) -> Finding:
    """A finding already built for the same release, moved to another occurrence."""
    return replace(finding, package=package, location=package_location(package))


class VulnerabilityScanner(Scanner):
    """Matches inventory packages against ``db_path`` (default: :func:`default_db_path`)."""

    name = "vuln"
    kind = FindingKind.VULNERABILITY

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
            with VulnerabilityStore(path) as store:
                return list(self._scan(store, inventory.packages))
        except VulnDBError as err:
            raise ScanError(str(err)) from None

    def _scan(self, store: VulnerabilityStore, packages: Sequence[Package]) -> Iterator[Finding]:
        # The same release often appears in many lockfiles: match it once per scan.
        done: dict[tuple[str, tuple[str, ...], str], list[Finding]] = {}
        matcher = BatchMatcher(store)
        builder = FindingBuilder(self.name)
        _prefetch(matcher, packages)
        for package in packages:
            if not package.version:
                continue  # a git or path dependency: no release to match
            key = (package.ecosystem, _names(package), package.version)
            if key not in done:
                try:
                    matches = matcher.match(package.ecosystem, key[1], package.version)
                except UnknownEcosystemError:
                    matches = []
                done[key] = builder.build(package, group_by_alias(matches))
                yield from done[key]
            else:
                yield from (_relocated(f, package) for f in done[key])
