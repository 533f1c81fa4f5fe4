"""The precompiled database form (binary keys, spans, listed versions, stored fixes)
against the reference OSV evaluation in :mod:`secloop.vulndb.matching`, on random
ranges and versions, and the schema upgrade path."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
    SeverityScore,
)
from secloop.vulndb.compiled import BatchMatcher
from secloop.vulndb.errors import (
    DatabaseCorruptError,
    DatabaseOutdatedError,
    UnknownEcosystemError,
)
from secloop.vulndb.facts import AdvisoryFacts
from secloop.vulndb.matching import Match, evaluate, range_contains
from secloop.vulndb.names import normalise_name
from secloop.vulndb.spans import range_spans
from secloop.vulndb.store import VulnerabilityStore, build_database
from secloop.vulndb.versions import comparator_for, key_for
from secloop.vulndb.versions.binary import MAX_INT_BYTES, binary_key_for, encode, successor

# Small pools, so that random events often tie, repeat and equal the probed version;
# each holds spellings that compare equal ("1.0" / "1.0.0") and odd forms.
POOLS = {
    "PyPI": (
        "0", "0.0", "0.9-doduo", "1.0.dev0", "1.0a1", "1.0rc1", "1.0", "1.0.0", "1.0.post1",
        "1.0+local.1", "1.0+local.a", "1.1", "1.10", "2!0.1", "2.0", "not a version", "v1.1",
    ),
    "npm": (
        "0.0.0", "0.1.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2",
        "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0", "v1.0.0", "1.0.0+build", "1.2.3",
        "1.2.3.4", "2.0.0", "10.0.0",
    ),
    "Pub": ("1.0.0", "1.0.0+1", "1.0.0+a", "1.0.0-dev", "1.2.0", "2.0.0"),
    "Debian:12": (
        "0", "1.0-1", "1.0-2", "1:0.9-1", "1.0~rc1-1", "1.0-1ubuntu1", "2.0", "0.9+dfsg-2",
    ),
    "Maven": (
        "1.0", "1.0.0", "1-SNAPSHOT", "1.0-alpha-1", "1.0-beta", "1.0.RELEASE", "1.1", "2.0-rc1",
    ),
}  # fmt: skip
KINDS = ("introduced", "introduced", "fixed", "last_affected", "limit")


def _versions(ecosystem: str) -> st.SearchStrategy[str]:
    return st.sampled_from(POOLS[ecosystem])


def _events(ecosystem: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    event = st.tuples(st.sampled_from(KINDS), _versions(ecosystem))
    zero = st.just(("introduced", "0"))
    return st.lists(st.one_of(event, event, zero), max_size=6)


def _ranges(ecosystem: str) -> st.SearchStrategy[AffectedRange]:
    kind = RangeType.SEMVER if ecosystem == "npm" else RangeType.ECOSYSTEM
    types = st.sampled_from((kind, kind, kind, RangeType.GIT))
    return st.builds(
        lambda t, events: AffectedRange(
            type=t, events=tuple(RangeEvent(EventKind(k), v) for k, v in events)
        ),
        types,
        _events(ecosystem),
    )


def _entries(ecosystem: str) -> st.SearchStrategy[AffectedPackage]:
    return st.builds(
        lambda name, ranges, versions: AffectedPackage(
            ecosystem=ecosystem, name=name, ranges=tuple(ranges), versions=tuple(versions)
        ),
        st.sampled_from(("pkg-a", "Pkg_A", "pkg-b")),
        st.lists(_ranges(ecosystem), max_size=3),
        st.lists(_versions(ecosystem), max_size=3),
    )


def _advisories(ecosystem: str) -> st.SearchStrategy[list[Advisory]]:
    advisory = st.builds(
        lambda index, entries: Advisory(id=f"A-{index}", affected=tuple(entries)),
        st.integers(0, 5),
        st.lists(_entries(ecosystem), min_size=1, max_size=3),
    )
    return st.lists(advisory, min_size=1, max_size=4, unique_by=lambda a: a.id)


def _comparable(match: Match, ecosystem: str) -> tuple[Any, ...]:
    """Fixes that compare equal ("1.0", "1.0.0") have no defined order between them."""
    key = key_for(ecosystem)
    fixes = match.fixed_versions
    return (
        match.facts,  # read from the stored facts, or taken from the record
        match.entry,
        sorted(fixes, key=lambda v: (key(v), v)),
        [key(v) for v in fixes],
    )


def _listing_order(advisories: list[Advisory], ecosystem: str, names: tuple[str, ...]) -> list[str]:
    """The scanner lists advisories name by name, each name's ids in id order."""
    ordered = sorted(advisories, key=lambda a: a.id)
    return list(
        dict.fromkeys(
            a.id
            for n in names
            for a in ordered
            if any(
                normalise_name(ecosystem, e.name) == normalise_name(ecosystem, n)
                for e in a.affected
            )
        )
    )


def _check_against_reference(ecosystem: str, advisories: list[Advisory]) -> None:
    compare = comparator_for(ecosystem)
    with tempfile.TemporaryDirectory() as temp:
        db = Path(temp) / "db.sqlite"
        build_database(db, advisories, source="property")
        with VulnerabilityStore(db) as store:
            matcher = BatchMatcher(store)
            for names in (("pkg-a",), ("pkg-b", "pkg_a")):
                matcher.prefetch(ecosystem, names)
                for version in POOLS[ecosystem]:
                    fast = matcher.match(ecosystem, names, version)
                    slow = [
                        found
                        for a in advisories
                        if (
                            found := evaluate(
                                a,
                                ecosystem=ecosystem,
                                names=names,
                                version=version,
                                compare=compare,
                            )
                        )
                    ]
                    order = _listing_order(advisories, ecosystem, names)
                    slow.sort(key=lambda m: order.index(m.id))
                    assert [_comparable(m, ecosystem) for m in fast] == [
                        _comparable(m, ecosystem) for m in slow
                    ], (names, version)


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("ecosystem", sorted(POOLS))
def test_batch_matching_agrees_with_the_reference_on_random_records(ecosystem: str) -> None:
    @_SETTINGS
    @given(_advisories(ecosystem))
    def check(advisories: list[Advisory]) -> None:
        _check_against_reference(ecosystem, advisories)

    check()


@pytest.mark.parametrize("ecosystem", ["PyPI", "npm", "Pub"])
def test_many_versions_of_one_name_match_as_one_version_at_a_time(ecosystem: str) -> None:
    """A batch naming a package in many versions reads its index once and matches in
    Python; one version at a time is matched in the database. Both must agree."""

    @_SETTINGS
    @given(_advisories(ecosystem))
    def check(advisories: list[Advisory]) -> None:
        with tempfile.TemporaryDirectory() as temp:
            db = Path(temp) / "db.sqlite"
            build_database(db, advisories, source="property")
            with VulnerabilityStore(db) as store:
                matcher = BatchMatcher(store)
                queries = [(ecosystem, ("pkg-a",), v) for v in POOLS[ecosystem]]
                together = matcher.match_many(queries)
            with VulnerabilityStore(db) as store:  # a fresh store: nothing read ahead
                matcher = BatchMatcher(store)
                alone = [matcher.match(e, names, v) for e, names, v in queries]
            assert together == alone

    check()


@pytest.mark.parametrize("ecosystem", ["PyPI", "npm", "Pub"])
def test_spans_contain_exactly_the_versions_the_reference_walk_does(ecosystem: str) -> None:
    compare, binary = comparator_for(ecosystem), binary_key_for(ecosystem)
    assert binary is not None

    @settings(max_examples=300, deadline=None)
    @given(_events(ecosystem))
    def check(events: list[tuple[str, str]]) -> None:
        spans = range_spans(events, binary)
        reference = AffectedRange(
            type=RangeType.ECOSYSTEM,
            events=tuple(RangeEvent(EventKind(k), v) for k, v in events),
        )
        for low, high in spans:
            assert high is None or low < high  # no empty interval is stored
        for version in POOLS[ecosystem]:
            key = binary(version)
            assert key is not None
            inside = any(low <= key and (high is None or key < high) for low, high in spans)
            assert inside == range_contains(version, reference, compare), (events, version)

    check()


_KEYS: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.integers(), st.text(max_size=4)),
    lambda children: st.lists(children, max_size=4).map(tuple),
    max_leaves=12,
)


def _python_order(a: Any, b: Any) -> int | None:
    try:
        return int(a > b) - int(a < b)
    except TypeError:
        return None  # Python cannot order them: nor does any scheme's key


@settings(max_examples=500, deadline=None)
@given(st.tuples(_KEYS), st.tuples(_KEYS))
def test_binary_encoding_orders_exactly_as_python_tuples(a: Any, b: Any) -> None:
    expected = _python_order(a, b)
    if expected is None:
        return
    x, y = encode(a), encode(b)
    assert (x > y) - (x < y) == expected
    assert successor(x) > x
    assert not (x < y < successor(x))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(POOLS["PyPI"] + POOLS["npm"]), min_size=2, max_size=2))
def test_binary_keys_order_as_the_comparators(pair: list[str]) -> None:
    for ecosystem in ("PyPI", "npm", "Go", "crates.io", "Pub"):
        binary, compare = binary_key_for(ecosystem), comparator_for(ecosystem)
        assert binary is not None
        a, b = (binary(v) for v in pair)
        assert a is not None
        assert b is not None
        assert (a > b) - (a < b) == compare(*pair)


def test_binary_keys_exist_only_for_key_ordered_schemes() -> None:
    assert binary_key_for("Debian:12") is None
    assert binary_key_for("Maven") is None
    binary = binary_key_for("npm")
    assert binary is not None
    assert binary("1." + "9" * 800) is None  # a number no real version has: general path
    with pytest.raises(TypeError, match="float"):
        encode((1.5,))
    with pytest.raises(ValueError, match="bytes"):
        encode(1 << (8 * MAX_INT_BYTES + 1))
    assert encode(-1) < encode(0) < encode(1) < encode(256)
    assert encode(-256) < encode(-255) < encode(-1)
    assert sorted([encode("a\x00"), encode("a"), encode("a\x01")]) == [
        encode("a"),
        encode("a\x00"),
        encode("a\x01"),
    ]


def _advisory(
    identifier: str, *events: tuple[str, str], versions: tuple[str, ...] = ()
) -> Advisory:
    rng = AffectedRange(
        type=RangeType.ECOSYSTEM, events=tuple(RangeEvent(EventKind(k), v) for k, v in events)
    )
    entry = AffectedPackage(ecosystem="PyPI", name="pkg", ranges=(rng,), versions=versions)
    return Advisory(id=identifier, affected=(entry,))


def test_unencodable_versions_fall_back_to_the_record_path(tmp_path: Path) -> None:
    huge = "1." + "9" * 800  # no binary key: this record is matched from its JSON
    records = [
        _advisory("BIG-1", ("introduced", "0"), ("fixed", huge)),
        _advisory("LISTED-1", versions=("0.5", "1.0", huge)),
        _advisory("PLAIN-1", ("introduced", "1.0"), ("fixed", "2.0")),
    ]
    db = tmp_path / "db.sqlite"
    build_database(db, records, source="t")
    with VulnerabilityStore(db) as store:
        assert store.package("PyPI", "pkg").general == frozenset({"BIG-1"})
        matcher = BatchMatcher(store)
        found = {m.id: m.fixed_versions for m in matcher.match("PyPI", ["pkg"], "1.0")}
        assert found == {"BIG-1": (huge,), "LISTED-1": (), "PLAIN-1": ("2.0",)}
        # an installed version without a binary key: every record the general way
        ids = {m.id for m in matcher.match("PyPI", ["PKG"], huge)}
        assert ids == {"LISTED-1", "PLAIN-1"}  # 1.99...9 is below 2.0
        assert [m.id for m in matcher.match("PyPI", ["pkg"], "0.5")] == [
            "BIG-1",
            "LISTED-1",
        ]
        assert matcher.match("PyPI", ["other"], "1.0") == []
        with pytest.raises(KeyError):
            store.record("NOT-STORED")


def test_listed_versions_inside_a_range_are_not_stored_twice(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    build_database(
        db, [_advisory("A-1", ("introduced", "1.0"), versions=("1.5", "0.1"))], source="t"
    )
    with VulnerabilityStore(db) as store:
        assert dict(store.package("PyPI", "pkg").listed) == {"0.1": (("A-1", 0),)}
        matcher = BatchMatcher(store)
        assert [m.fixed_versions for m in matcher.match("PyPI", ["pkg"], "0.1")] == [()]


def _set_schema(db: Path, value: str) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    connection.close()


def test_a_database_from_an_older_secloop_says_how_to_rebuild_it(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    build_database(db, [_advisory("A-1", ("introduced", "0"))], source="t")
    for older in ("1", "2"):  # 2: without the stored facts a scan reads
        _set_schema(db, older)
        with pytest.raises(DatabaseOutdatedError, match=r"older secloop .*secloop db update"):
            VulnerabilityStore(db)
    _set_schema(db, "99")
    with pytest.raises(DatabaseCorruptError, match=r"schema '99'.*secloop that built it"):
        VulnerabilityStore(db)


def test_unknown_and_unkeyed_ecosystems_are_indexed_without_spans(tmp_path: Path) -> None:
    records = [
        Advisory(id="U-1", affected=(AffectedPackage(ecosystem="NoSuchEcosystem", name="x"),)),
        Advisory(
            id="D-1",
            affected=(
                AffectedPackage(
                    ecosystem="Debian:12",
                    name="openssl",
                    ranges=(
                        AffectedRange(
                            type=RangeType.ECOSYSTEM,
                            events=(
                                RangeEvent(EventKind.INTRODUCED, "0"),
                                RangeEvent(EventKind.FIXED, "3.0.11-1~deb12u1"),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ]
    db = tmp_path / "db.sqlite"
    build_database(db, records, source="t")
    with VulnerabilityStore(db) as store:
        unknown = store.package("NoSuchEcosystem", "x")
        assert (unknown.ids, unknown.general, unknown.spans) == (("U-1",), frozenset({"U-1"}), ())
        assert store.record("U-1")["id"] == "U-1"  # read with the index: no extra query
        matcher = BatchMatcher(store)
        matches = matcher.match("Debian:12", ["openssl"], "3.0.9-1")
        assert [(m.id, m.fixed_versions) for m in matches] == [("D-1", ("3.0.11-1~deb12u1",))]
        assert matcher.match("Debian:12", ["openssl"], "3.0.11-1~deb12u1") == []


def test_stored_facts_are_what_a_finding_shows(tmp_path: Path) -> None:
    advisory = Advisory(
        id="GHSA-xxxx",
        aliases=("CVE-2024-1", "PYSEC-2024-1"),
        summary="  Überflow in pkg \n",
        details="\n  First line of the details.\nSecond line.",
        affected=(AffectedPackage(ecosystem="PyPI", name="pkg"),),
        severity=(
            SeverityScore(type="CVSS_V3", score="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ),
        references=("https://example.invalid/a", "https://example.invalid/b"),
        database_specific={"severity": "MODERATE"},
    )
    bare = Advisory(id="BARE-1", affected=(AffectedPackage(ecosystem="PyPI", name="pkg"),))
    db = tmp_path / "db.sqlite"
    build_database(db, [advisory, bare], source="t")
    with VulnerabilityStore(db) as store:
        facts = store.load_facts(["GHSA-xxxx", "BARE-1", "GHSA-xxxx"])
        assert list(facts) == ["GHSA-xxxx", "BARE-1"]
        assert facts["GHSA-xxxx"] == AdvisoryFacts(
            id="GHSA-xxxx",
            aliases=("CVE-2024-1", "PYSEC-2024-1"),
            summary="Überflow in pkg",
            headline="First line of the details.",
            severity=(("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
            rating="MODERATE",
            references=("https://example.invalid/a", "https://example.invalid/b"),
        )
        assert facts["GHSA-xxxx"].all_ids == ("GHSA-xxxx", "CVE-2024-1", "PYSEC-2024-1")
        assert facts["BARE-1"] == AdvisoryFacts(id="BARE-1") == AdvisoryFacts.of(bare)
        assert store.load_facts(["BARE-1"])["BARE-1"] is facts["BARE-1"]  # decoded once
        with pytest.raises(KeyError):
            store.load_facts(["NOT-STORED"])


def test_match_many_equals_match_per_package_and_shares_records(tmp_path: Path) -> None:
    shared = Advisory(
        id="SHARED-1",
        affected=tuple(
            AffectedPackage(
                ecosystem="PyPI",
                name=name,
                ranges=(
                    AffectedRange(
                        type=RangeType.ECOSYSTEM,
                        events=(
                            RangeEvent(EventKind.INTRODUCED, "1.0"),
                            RangeEvent(EventKind.FIXED, "2.0"),
                            RangeEvent(EventKind.FIXED, "1.5"),
                        ),
                    ),
                ),
            )
            for name in ("pkg", "other")
        ),
    )
    records = [shared, _advisory("PLAIN-1", ("introduced", "0"), ("fixed", "1.2"))]
    db = tmp_path / "db.sqlite"
    build_database(db, records, source="t")
    queries = [
        ("PyPI", ("pkg",), "1.1"),
        ("PyPI", ("Other",), "1.2"),
        ("PyPI", ("pkg",), "3.0"),
        ("Debian:12", ("pkg",), "1.0-1"),
    ]
    with VulnerabilityStore(db) as store:
        many = BatchMatcher(store).match_many(queries)
        assert many == [BatchMatcher(store).match(*query) for query in queries]
        assert [[(m.id, m.entry, m.fixed_versions) for m in found] for found in many] == [
            [("PLAIN-1", 0, ("1.2",)), ("SHARED-1", 0, ("1.5", "2.0"))],
            [("SHARED-1", 1, ("1.5", "2.0"))],
            [],
            [],
        ]
        assert many[0][1].facts is many[1][0].facts  # one record, read and decoded once
        with pytest.raises(UnknownEcosystemError):
            BatchMatcher(store).match_many([("NoSuchEcosystem", ("pkg",), "1.0")])
