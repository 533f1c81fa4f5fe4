"""Advisories pre-compiled for matching many packages: the fast path of the scanner.

:mod:`secloop.vulndb.matching` states the OSV evaluation algorithm plainly and stays
the reference. This module computes the same answer with the per-advisory work done
once, in one of two ways:

- Precompiled in the database (PyPI, npm, crates.io, Go, Hex, Pub): each range is
  stored as byte intervals of binary version keys (:mod:`secloop.vulndb.spans`), so
  testing an installed version is two ``bytes`` comparisons per interval. A batch
  of packages is tested inside SQLite (:meth:`VulnerabilityStore.probe`: the
  releases in a temporary table joined with the intervals), which returns only the
  intervals that contain them; a package asked for in many versions at once has its
  index read once and tested here instead. Of a record that matches only what a
  finding shows is read (:class:`AdvisoryFacts`, in bulk with
  :meth:`BatchMatcher.match_many`).
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

import contextlib
import json
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secloop.core.advisory import EventKind, RangeType
from secloop.vulndb.collector import collector_paused
from secloop.vulndb.errors import UnknownEcosystemError
from secloop.vulndb.facts import AdvisoryFacts
from secloop.vulndb.matching import Match
from secloop.vulndb.names import normalise_name
from secloop.vulndb.store import PackageIndex, Probe, VulnerabilityStore
from secloop.vulndb.versions import VersionKey, key_for
from secloop.vulndb.versions.binary import BinaryKey, binary_key_for

__all__ = [
    "BatchMatcher",
    "CompiledEntry",
    "CompiledRange",
    "Pending",
    "Query",
    "compile_entries",
    "merge_fixes",
]

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
Pending = tuple[str, int, list[Fix]]  # a match before its facts are read: id, entry, fixes
Query = tuple[str, Sequence[str], str]  # ecosystem, names of one package, its version
Hits = dict[str, dict[int, list[int]]]  # id -> entry -> ranges containing the version
# Versions of one package in a batch from which its index is read once and matched in
# Python rather than probed in the database version by version (measured on the PyPA
# database: a name with hundreds of advisories is cheaper this way from 4 versions on)
_SHARED_NAME = 4


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


# [entry, range, version, binary key in hex], as stored: hex digits (fixed width, lower
# case) order as the bytes they encode, prefixes included, so keys compare undecoded
StoredFix = list[Any]


def _stored_fixes(text: str) -> list[StoredFix]:
    rows: list[StoredFix] = json.loads(text)
    return rows


def _affecting(
    hits: Sequence[tuple[int, int | None]], rows: Sequence[StoredFix], probe: str
) -> tuple[int, list[Fix]]:
    """The first affecting entry and the fixes above the version, from the (entry,
    range) pairs the database found (range None: the entry lists the version)."""
    if len(hits) == 1 and hits[0][1] is not None:  # one containing range: most matches
        entry, index = hits[0]
        return entry, [(k, v) for e, r, v, k in rows if e == entry and r == index and probe < k]
    entries: dict[int, list[int]] = {}
    for entry, index in hits:
        containing = entries.setdefault(entry, [])
        if index is not None:
            containing.append(index)
    return min(entries), _fixes_above(rows, entries, probe)


def _fixes_above(rows: Iterable[StoredFix], entries: dict[int, list[int]], probe: str) -> list[Fix]:
    """The fixes above the version (``probe``: its binary key in hex) in the containing
    ranges of each affecting entry, or in all its ranges when it is only listed; in
    record order, as ``affects``."""
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

    One instance per scan. Precompiled advisories are tested in the database or from
    the store's spans; the others are compiled on first use and cached by (id,
    ecosystem), so a record shared by many packages (or many versions of one) is
    decoded and sorted once. Of a record that matches only its
    :class:`AdvisoryFacts` are read, in bulk.
    """

    def __init__(self, store: VulnerabilityStore) -> None:
        self._store = store
        self._compiled: dict[tuple[str, str], tuple[CompiledEntry, ...]] = {}
        self._fixes: dict[str, list[StoredFix]] = {}  # by the stored text: parsed once
        self._binaries: dict[str, BinaryKey | None] = {}

    def prefetch(self, ecosystem: str, names: Iterable[str]) -> None:
        """Read ahead the index of packages that :meth:`match_many` matches in Python:
        those of an ecosystem without a precompiled form. A precompiled ecosystem's
        packages are matched in the database; reading their spans here would be waste."""
        with contextlib.suppress(UnknownEcosystemError):  # read as before: it matches nothing
            if self._binary(ecosystem) is not None:
                return
        with collector_paused():
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
    ) -> Pending | None:
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
        return None if found is None else (identifier, found.index, fixes)

    def _stored(self, packages: Sequence[PackageIndex], identifier: str) -> list[StoredFix]:
        rows: list[StoredFix] = []
        for package in packages:
            text = package.fixes.get(identifier)
            if text is not None:
                rows.extend(self._parsed_fixes(text))
        if len(packages) > 1:
            rows.sort(key=lambda row: row[0])  # entries of two names, in record order
        return rows

    def _binary(self, ecosystem: str) -> BinaryKey | None:
        """``binary_key_for``, remembered per ecosystem: asked once per package."""
        try:
            return self._binaries[ecosystem]
        except KeyError:
            binary = self._binaries[ecosystem] = binary_key_for(ecosystem)
            return binary

    def _pending(self, ecosystem: str, names: Sequence[str], version: str) -> list[Pending]:
        """What :meth:`match` finds, before the matching records' facts are read."""
        binary = self._binary(ecosystem)
        probe = binary(version) if binary is not None else None
        if len(names) == 1:  # most packages: no duplicate to drop
            wanted: Collection[str] = (normalise_name(ecosystem, names[0]),)
        else:
            wanted = dict.fromkeys(normalise_name(ecosystem, n) for n in names)
        packages = [self._store.package(ecosystem, n) for n in wanted]
        if len(packages) == 1:
            ids: Iterable[str] = packages[0].ids
            general: Collection[str] = packages[0].general
        else:
            ids = dict.fromkeys(i for p in packages for i in p.ids)
            general = frozenset().union(*(p.general for p in packages))
        found: list[Pending] = []
        if probe is None:  # no binary key for this version: every record the general way
            general = frozenset(ids)
        hits = _hits(packages, version, probe) if probe is not None else {}
        probe_hex = probe.hex() if probe is not None else ""
        for identifier in ids:
            if identifier in general:
                matched = self._general_match(identifier, ecosystem, wanted, version)
                if matched is not None:
                    found.append(matched)
            elif identifier in hits:
                entries = hits[identifier]
                stored = self._stored(packages, identifier)
                found.append((identifier, min(entries), _fixes_above(stored, entries, probe_hex)))
        return found

    def _matches(
        self, pending: Sequence[Pending], facts: Mapping[str, AdvisoryFacts]
    ) -> list[Match]:
        return [
            Match(
                facts=facts[identifier],
                entry=entry,
                # most matches have one fix or none: nothing to merge or sort
                fixed_versions=merge_fixes(fixes) if len(fixes) > 1 else (*(v for _, v in fixes),),
            )
            for identifier, entry, fixes in pending
        ]

    def match(self, ecosystem: str, names: Sequence[str], version: str) -> list[Match]:
        """Every advisory affecting ``version`` of the package known by ``names``, in
        the order the reference scan lists them. UnknownEcosystemError as ``key_for``."""
        return self.match_many(((ecosystem, names, version),))[0]

    def match_many(self, queries: Iterable[Query]) -> list[list[Match]]:
        """:meth:`match` for many packages, each query ``(ecosystem, names, version)``,
        with the facts of every matching record read in a few bulk queries (a record
        hit by several packages is read and decoded once). UnknownEcosystemError as
        :meth:`match`: pass only ecosystems with a version order.

        A package of a precompiled ecosystem, known by one name and with a version that
        has a binary key (nearly every package of a language lockfile), is matched in
        the database (:meth:`VulnerabilityStore.probe`); the others from the package's
        index (:meth:`_pending`)."""
        with collector_paused():
            asked = list(queries)
            pending: list[list[Pending]] = [[] for _ in asked]
            probes: list[Probe] = []
            for number, (ecosystem, names, version) in enumerate(asked):
                probe = self._probe(number, ecosystem, names, version)
                if probe is None:
                    pending[number] = self._pending(ecosystem, names, version)
                else:
                    probes.append(probe)
            probes = self._in_python(probes, pending)
            if probes:
                self._probed(probes, pending)
            facts = self._store.load_facts(i for found in pending for i, _, _ in found)
            return [self._matches(found, facts) for found in pending]

    def _in_python(self, probes: list[Probe], pending: list[list[Pending]]) -> list[Probe]:
        """Match from the package's index the probes of a name asked for in many
        versions (:data:`_SHARED_NAME`), and return the others. Such a name's index is
        read once and serves every version, where the database would walk its spans
        once per version: cheaper for a package with hundreds of advisories."""
        versions = Counter((ecosystem, name) for _, ecosystem, name, _, _ in probes)
        shared = {key for key, count in versions.items() if count >= _SHARED_NAME}
        if not shared:
            return probes
        for ecosystem in {e for e, _ in shared}:
            self._store.prefetch(ecosystem, [n for e, n in shared if e == ecosystem])
        rest: list[Probe] = []
        for probe in probes:
            number, ecosystem, name, version, _ = probe
            if (ecosystem, name) in shared:
                pending[number] = self._pending(ecosystem, (name,), version)
            else:
                rest.append(probe)
        return rest

    def _probe(
        self, number: int, ecosystem: str, names: Sequence[str], version: str
    ) -> Probe | None:
        """The database probe of one query, or None when it must be matched in Python."""
        if len(names) != 1:
            return None
        binary = self._binary(ecosystem)
        key = binary(version) if binary is not None else None
        if key is None:
            return None
        return (number, ecosystem, normalise_name(ecosystem, names[0]), version, key)

    def _probed(self, probes: Sequence[Probe], pending: list[list[Pending]]) -> None:
        """:meth:`_pending` of every probe, from the rows :meth:`VulnerabilityStore.probe`
        returns: per query, the advisories in id order; a precompiled one with its first
        affecting entry and the fixes above the version in the containing ranges."""
        result = self._store.probe(probes)
        # (query, id) -> [stored fixes, (entry, range), ...]; stored fixes None: general
        found: dict[tuple[int, str], list[Any]] = {}
        for number, identifier, entry, index, fixes in result.ranges:
            hit = found.get((number, identifier))
            if hit is None:
                found[number, identifier] = [fixes, (entry, index)]
            else:
                hit.append((entry, index))
        for number, identifier, entry, fixes in result.listed:
            hit = found.setdefault((number, identifier), [fixes])
            hit.append((entry, None))  # listed: in no range unless a range row says so
        general = False
        for number, identifier in result.general:
            found[number, identifier] = [None]
            general = True
        if general:  # records matched the general way: read them in bulk
            self._store.load_records(i for (_, i), hit in found.items() if hit[0] is None)
        by_number = {probe[0]: probe for probe in probes}
        for number, identifier in sorted(found):  # each query's ids in id order
            _, ecosystem, name, version, key = by_number[number]
            fixes, *hits = found[number, identifier]
            if fixes is None:
                matched = self._general_match(identifier, ecosystem, (name,), version)
            else:
                matched = (identifier, *_affecting(hits, self._parsed_fixes(fixes), key.hex()))
            if matched is not None:
                pending[number].append(matched)

    def _parsed_fixes(self, text: str) -> list[StoredFix]:
        parsed = self._fixes.get(text)
        if parsed is None:
            parsed = self._fixes[text] = _stored_fixes(text)
        return parsed
