"""Advisories pre-compiled for matching many packages: the fast path of the scanner.

:mod:`secloop.vulndb.matching` states the OSV evaluation algorithm plainly and stays
the reference. This module computes the same answer with the per-advisory work done
once, in one of two ways:

- Precompiled in the database (PyPI, npm, crates.io, Go, Hex, Pub): each range is
  stored as byte intervals of binary version keys (:mod:`secloop.vulndb.spans`), so
  testing an installed version is two ``bytes`` comparisons per interval, and a
  record is decoded only when it matches.
- Compiled here from the record (every other ecosystem, or a version without a binary
  key): every event version is turned into a sortable key (:func:`versions.key_for`)
  and each range's events are sorted when the advisory is first compiled, so testing
  an installed version is two bisections instead of a comparator call per event.

Why bisection is exact: in the schema's ``IsAffected`` walk over sorted events, an
event changes the state only if it "fires" (``introduced`` or ``fixed`` at or below
the version, ``last_affected`` strictly below it); events fire in a prefix-like set,
so the final state is that of the last firing event. Among events equal to the
version (sorted introduced, last_affected, fixed) a ``fixed`` fires last, else an
``introduced``; otherwise the last event strictly below the version decides.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secloop.core.advisory import EventKind, RangeType
from secloop.vulndb.matching import Match
from secloop.vulndb.names import normalise_name
from secloop.vulndb.store import PackageIndex, VulnerabilityStore
from secloop.vulndb.versions import VersionKey, key_for
from secloop.vulndb.versions.binary import binary_key_for

__all__ = ["BatchMatcher", "CompiledEntry", "CompiledRange", "compile_entries", "merge_fixes"]

_EVALUATED = frozenset({RangeType.ECOSYSTEM.value, RangeType.SEMVER.value})
_RANK = {
    EventKind.INTRODUCED.value: 0,
    EventKind.LAST_AFFECTED.value: 1,
    EventKind.FIXED.value: 2,
}
_ZERO: tuple[int] = (0,)  # ``introduced: "0"``: below every real version's (1, key)
_INTRODUCED = EventKind.INTRODUCED.value
_FIXED = EventKind.FIXED.value
_LIMIT = EventKind.LIMIT.value

Fix = tuple[Any, str]  # (sort key, version as written)
Hits = dict[str, dict[int, list[int]]]  # id -> entry -> ranges containing the version


@dataclass(frozen=True, slots=True)
class CompiledRange:
    """One ECOSYSTEM/SEMVER range: walk events sorted by key, limits and fixes apart."""

    keys: tuple[Any, ...]  # (0,) for introduced "0", else (1, version key); sorted
    kinds: tuple[str, ...]  # the event kind of each key, same order
    limits: tuple[Any, ...]
    fixes: tuple[Fix, ...]

    def contains(self, key: Any) -> bool:
        """Steps (3) to (5) of the reference ``range_contains``, by bisection."""
        if self.limits and not any(key < limit for limit in self.limits):
            return False
        probe = (1, key)
        low = bisect_left(self.keys, probe)
        high = bisect_right(self.keys, probe, lo=low)
        if low < high:
            equal = self.kinds[low:high]
            if _FIXED in equal:
                return False
            if _INTRODUCED in equal:
                return True
        return low > 0 and self.kinds[low - 1] == _INTRODUCED


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """One ``affected[]`` entry of one advisory, for one ecosystem."""

    index: int  # position in the advisory's ``affected`` list: the first match is kept
    name: str  # normalised as the index keys it
    versions: frozenset[str]
    ranges: tuple[CompiledRange, ...]

    def affects(self, version: str, key: Any) -> list[Fix] | None:
        """The reference ``affects``: the fixes above ``version``, or None."""
        containing = [r for r in self.ranges if r.contains(key)]
        if not containing and version not in self.versions:
            return None
        return [f for r in containing or self.ranges for f in r.fixes if key < f[0]]


def _compile_range(events: Sequence[Sequence[str]], key: VersionKey) -> CompiledRange:
    walked: list[tuple[Any, int, str]] = []
    limits: list[Any] = []
    fixes: list[Fix] = []
    for kind, version in events:
        if kind == _LIMIT:
            limits.append(key(version))
            continue
        if kind == _INTRODUCED and version == "0":
            walked.append((_ZERO, 0, kind))
            continue
        version_key = key(version)
        walked.append(((1, version_key), _RANK.get(kind, 3), kind))
        if kind == _FIXED:
            fixes.append((version_key, version))
    # a stable sort: ties in key and kind keep their written order, as the reference's
    walked.sort(key=lambda item: (item[0], item[1]))
    return CompiledRange(
        keys=tuple(k for k, _, _ in walked),
        kinds=tuple(kind for _, _, kind in walked),
        limits=tuple(limits),
        fixes=tuple(fixes),
    )


def compile_entries(
    record: Mapping[str, Any], ecosystem: str, key: VersionKey
) -> tuple[CompiledEntry, ...]:
    """The entries of a stored record (:mod:`codec` layout) that name ``ecosystem``."""
    compiled: list[CompiledEntry] = []
    for index, entry in enumerate(record["affected"]):
        if entry["e"] != ecosystem:
            continue
        ranges = tuple(
            _compile_range(events, key) for kind, events in entry["r"] if kind in _EVALUATED
        )
        compiled.append(
            CompiledEntry(
                index=index,
                name=normalise_name(ecosystem, entry["n"]),
                versions=frozenset(entry["v"]),
                ranges=ranges,
            )
        )
    return tuple(compiled)


def merge_fixes(fixes: Iterable[Fix]) -> tuple[str, ...]:
    """Fixed versions without repeats (as written), lowest first."""
    unique: dict[str, Any] = {}
    for version_key, version in fixes:
        unique.setdefault(version, version_key)
    return tuple(sorted(unique, key=unique.__getitem__))


def _hits(packages: Sequence[PackageIndex], version: str, probe: bytes) -> Hits:
    """The precompiled entries affecting the version whose binary key is ``probe``:
    its interval in a range, or its exact string among the listed versions (an entry
    listed but in no range gets no containing range)."""
    hits: Hits = {}
    for package in packages:
        for low, high, identifier, entry, index in package.spans:
            if low <= probe and (high is None or probe < high):
                hits.setdefault(identifier, {}).setdefault(entry, []).append(index)
        for identifier, entry in package.listed.get(version, ()):
            hits.setdefault(identifier, {}).setdefault(entry, [])
    return hits


StoredFix = tuple[int, int, str, bytes]  # entry, range, version, binary key


def _stored_fixes(text: str) -> list[StoredFix]:
    return [
        (entry, index, version, bytes.fromhex(key))
        for entry, index, version, key in json.loads(text)
    ]


def _fixes_above(
    rows: Iterable[StoredFix], entries: dict[int, list[int]], probe: bytes
) -> list[Fix]:
    """The fixes above the version in the containing ranges of each affecting entry,
    or in all its ranges when it is only listed; in record order, as ``affects``."""
    fixes: list[Fix] = []
    for entry, index, version, key in rows:
        containing = entries.get(entry)
        if containing is None or (containing and index not in containing):
            continue
        if probe < key:
            fixes.append((key, version))
    return fixes


class BatchMatcher:
    """The reference ``evaluate`` over a store's candidates, compiled once per advisory.

    One instance per scan. Precompiled advisories are tested from the store's spans;
    the others are compiled on first use and cached by (id, ecosystem), so a record
    shared by many packages (or many versions of one) is decoded and sorted once. The
    full :class:`Advisory` is built only for records that match.
    """

    def __init__(self, store: VulnerabilityStore) -> None:
        self._store = store
        self._compiled: dict[tuple[str, str], tuple[CompiledEntry, ...]] = {}
        self._fixes: dict[str, list[StoredFix]] = {}  # by the stored text: parsed once

    def prefetch(self, ecosystem: str, names: Iterable[str]) -> None:
        self._store.prefetch(ecosystem, names)

    def _entries(
        self, identifier: str, ecosystem: str, key: VersionKey
    ) -> tuple[CompiledEntry, ...]:
        cache_key = (identifier, ecosystem)
        entries = self._compiled.get(cache_key)
        if entries is None:
            record = self._store.record(identifier)
            entries = self._compiled[cache_key] = compile_entries(record, ecosystem, key)
        return entries

    def _general_match(
        self, identifier: str, ecosystem: str, wanted: Collection[str], version: str
    ) -> Match | None:
        """The record-compiled path, for an advisory without a precompiled form."""
        key = key_for(ecosystem)
        version_key = key(version)
        found: CompiledEntry | None = None
        fixes: list[Fix] = []
        for entry in self._entries(identifier, ecosystem, key):
            if entry.name not in wanted:
                continue
            entry_fixes = entry.affects(version, version_key)
            if entry_fixes is not None:
                found = found or entry
                fixes.extend(entry_fixes)
        return None if found is None else self._match(identifier, found.index, fixes)

    def _stored(self, packages: Sequence[PackageIndex], identifier: str) -> list[StoredFix]:
        rows: list[StoredFix] = []
        for package in packages:
            text = package.fixes.get(identifier)
            if text is not None:
                parsed = self._fixes.get(text)
                if parsed is None:
                    parsed = self._fixes[text] = _stored_fixes(text)
                rows.extend(parsed)
        if len(packages) > 1:
            rows.sort(key=lambda row: row[0])  # entries of two names, in record order
        return rows

    def _match(self, identifier: str, index: int, fixes: list[Fix]) -> Match:
        advisory = self._store.advisory(identifier)
        return Match(
            advisory=advisory, affected=advisory.affected[index], fixed_versions=merge_fixes(fixes)
        )

    def match(self, ecosystem: str, names: Sequence[str], version: str) -> list[Match]:
        """Every advisory affecting ``version`` of the package known by ``names``, in
        the order the reference scan lists them. UnknownEcosystemError as ``key_for``."""
        key_for(ecosystem)
        binary = binary_key_for(ecosystem)
        probe = binary(version) if binary is not None else None
        wanted = dict.fromkeys(normalise_name(ecosystem, n) for n in names)
        packages = [self._store.package(ecosystem, n) for n in wanted]
        hits = _hits(packages, version, probe) if probe is not None else {}
        self._store.load_records(hits)  # the matching records, in one query
        matches: list[Match] = []
        for identifier in dict.fromkeys(i for p in packages for i in p.ids):
            if probe is None or any(identifier in p.general for p in packages):
                found = self._general_match(identifier, ecosystem, wanted, version)
                if found is not None:
                    matches.append(found)
            elif identifier in hits:
                entries = hits[identifier]
                fixes = _fixes_above(self._stored(packages, identifier), entries, probe)
                matches.append(self._match(identifier, min(entries), fixes))
        return matches
