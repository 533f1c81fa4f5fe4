"""Does an advisory affect a package version? The OSV evaluation algorithm.

Implements the OSV schema's "Evaluation" section (https://ossf.github.io/osv-schema/,
sections "affected[].ranges[].events" and "Evaluation"), for one installed version:

1. The ``versions`` list is authoritative: a version listed there is affected
   (schema: "affected[].versions"), compared as an exact string.
2. ``GIT`` ranges describe commits and cannot be evaluated against a release version;
   they are ignored (schema: "affected[].ranges[].type", GIT). ``ECOSYSTEM`` and
   ``SEMVER`` ranges are evaluated with the ecosystem's version ordering.
3. A range's events are sorted by version, ``introduced: "0"`` lowest (schema:
   "Evaluation": "sort the events").
4. Walking the sorted events: at or past an ``introduced`` the version is affected; at
   or past a ``fixed``, or strictly past a ``last_affected``, it is not (schema:
   "Evaluation", the ``IsAffected`` pseudo-code).
5. ``limit`` events bound the range from above: a version at or past every limit is
   not affected by that range (schema: "affected[].ranges[].events[].limit").
6. The remediation offered is the lowest ``fixed`` version above the installed one in
   the ranges that contain it (the "nearest fixed version").

Multiple records that name the same vulnerability (a PYSEC id whose aliases include a
GHSA and a CVE) are merged by :func:`group_by_alias`, so one vulnerability becomes one
finding per package listing every id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cmp_to_key, lru_cache

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
)
from secloop.vulndb.facts import AdvisoryFacts
from secloop.vulndb.names import normalise_name
from secloop.vulndb.versions import Comparator

__all__ = ["Match", "affects", "evaluate", "group_by_alias", "range_contains", "sort_versions"]

_EVALUATED = (RangeType.ECOSYSTEM, RangeType.SEMVER)
_KIND_ORDER = {
    EventKind.INTRODUCED: 0,
    EventKind.LAST_AFFECTED: 1,
    EventKind.FIXED: 2,
    EventKind.LIMIT: 3,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One advisory affecting one installed version, with the fixes that apply.

    It carries what a finding shows of the advisory (:class:`AdvisoryFacts`), not the
    whole record: a scan of a large inventory matches thousands of records and decodes
    none of them in full. ``entry`` says which ``affected[]`` entry matched first, for
    a caller that reads the record (``VulnerabilityStore.advisory``).
    """

    facts: AdvisoryFacts
    entry: int  # position of the first matching entry in the advisory's ``affected``
    fixed_versions: tuple[str, ...]  # every fix above the installed version, lowest first

    @property
    def id(self) -> str:
        return self.facts.id

    @property
    def nearest_fix(self) -> str | None:
        return self.fixed_versions[0] if self.fixed_versions else None


def _is_zero(event: RangeEvent) -> bool:
    return event.kind is EventKind.INTRODUCED and event.version == "0"


@lru_cache(maxsize=65536)
def _sorted_events(events: tuple[RangeEvent, ...], compare: Comparator) -> tuple[RangeEvent, ...]:
    """Step (3): by version, ``introduced: 0`` first; ties keep a stable kind order.

    Cached: one range is evaluated against many installed versions in a scan.
    """

    def order(a: RangeEvent, b: RangeEvent) -> int:
        if _is_zero(a) or _is_zero(b):
            return (not _is_zero(a)) - (not _is_zero(b))
        return compare(a.version, b.version) or _KIND_ORDER[a.kind] - _KIND_ORDER[b.kind]

    return tuple(sorted(events, key=cmp_to_key(order)))


def _at_or_past(version: str, event: RangeEvent, compare: Comparator) -> bool:
    return _is_zero(event) or compare(version, event.version) >= 0


def range_contains(version: str, affected_range: AffectedRange, compare: Comparator) -> bool:
    """Steps (3) to (5) for one ECOSYSTEM or SEMVER range."""
    limits = [e for e in affected_range.events if e.kind is EventKind.LIMIT]
    # (5) at or past every limit: outside this range
    if limits and all(compare(version, e.version) >= 0 for e in limits):
        return False
    affected = False
    # (4) the schema's IsAffected walk over the sorted events
    for event in _sorted_events(affected_range.events, compare):
        if event.kind is EventKind.INTRODUCED and _at_or_past(version, event, compare):
            affected = True
        elif (event.kind is EventKind.FIXED and compare(version, event.version) >= 0) or (
            event.kind is EventKind.LAST_AFFECTED and compare(version, event.version) > 0
        ):
            affected = False
    return affected


def _fixes_above(
    version: str, ranges: Sequence[AffectedRange], compare: Comparator
) -> tuple[str, ...]:
    """Step (6): the ``fixed`` versions above ``version``, lowest first, no repeats."""
    fixes = {
        e.version
        for r in ranges
        for e in r.events
        if e.kind is EventKind.FIXED and compare(e.version, version) > 0
    }
    return tuple(sort_versions(fixes, compare))


def sort_versions(versions: Iterable[str], compare: Comparator) -> list[str]:
    return sorted(versions, key=cmp_to_key(compare))


def affects(affected: AffectedPackage, version: str, compare: Comparator) -> tuple[str, ...] | None:
    """Steps (1) to (6) for one affected-package entry: the fixes above ``version``,
    or None when it is not affected."""
    evaluated = [r for r in affected.ranges if r.type in _EVALUATED]  # (2) GIT ignored
    containing = [r for r in evaluated if range_contains(version, r, compare)]
    listed = version in affected.versions  # (1) enumerated versions
    if not containing and not listed:
        return None
    # a version listed but in no range: the fixes of every range still tell the way out
    return _fixes_above(version, containing or evaluated, compare)


def evaluate(
    advisory: Advisory,
    *,
    ecosystem: str,
    names: Iterable[str],
    version: str,
    compare: Comparator,
    normalise: Callable[[str, str], str] = normalise_name,
) -> Match | None:
    """Match ``version`` of a package (known by ``names``) against every affected entry."""
    wanted = {normalise(ecosystem, n) for n in names}
    fixes: list[str] = []
    found: int | None = None
    for index, affected in enumerate(advisory.affected):
        if affected.ecosystem != ecosystem or normalise(ecosystem, affected.name) not in wanted:
            continue
        found_fixes = affects(affected, version, compare)
        if found_fixes is not None:
            found = index if found is None else found
            fixes.extend(found_fixes)
    if found is None:
        return None
    return Match(
        facts=AdvisoryFacts.of(advisory),
        entry=found,
        fixed_versions=tuple(sort_versions(dict.fromkeys(fixes), compare)),
    )


def group_by_alias(matches: Sequence[Match]) -> list[list[Match]]:
    """Union the matches whose ids or aliases overlap; each group is one vulnerability."""
    if len(matches) < 2:  # the common case in a large scan: nothing to union
        return [list(matches)] if matches else []
    parent = list(range(len(matches)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[str, int] = {}
    for index, match in enumerate(matches):
        for identifier in match.facts.all_ids:
            if identifier in owner:
                parent[find(index)] = find(owner[identifier])
            else:
                owner[identifier] = index
    groups: dict[int, list[Match]] = {}
    for index, match in enumerate(matches):
        groups.setdefault(find(index), []).append(match)
    return list(groups.values())
