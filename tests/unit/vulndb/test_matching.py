"""The OSV evaluation algorithm: unit cases, the PyPA corpus, and alias grouping."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
)
from secloop.vulndb.facts import AdvisoryFacts
from secloop.vulndb.matching import Match, affects, evaluate, group_by_alias, range_contains
from secloop.vulndb.osv import parse_record
from secloop.vulndb.versions import comparator_for
from tests.conftest import CORPUS_ROOT

SEMVER = comparator_for("npm")
PEP440 = comparator_for("PyPI")


def _range(*events: tuple[str, str], kind: RangeType = RangeType.ECOSYSTEM) -> AffectedRange:
    return AffectedRange(type=kind, events=tuple(RangeEvent(EventKind(k), v) for k, v in events))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9.0", False),
        ("1.0.0", True),
        ("1.5.0", True),
        ("2.0.0", False),
        ("3.1.0", True),
        ("3.2.0", True),
        ("3.2.1", False),
    ],
)
def test_introduced_fixed_and_last_affected(version: str, expected: bool) -> None:
    events = _range(
        ("introduced", "1.0.0"),
        ("fixed", "2.0.0"),
        ("introduced", "3.0.0"),
        ("last_affected", "3.2.0"),
    )
    assert range_contains(version, events, SEMVER) is expected


def test_events_are_evaluated_in_version_order_not_file_order() -> None:
    events = _range(("fixed", "2.0.0"), ("introduced", "0"), ("introduced", "3.0.0"))
    assert range_contains("1.0.0", events, SEMVER)
    assert not range_contains("2.5.0", events, SEMVER)
    assert range_contains("9.0.0", events, SEMVER)


def test_limit_bounds_the_range() -> None:
    events = _range(("introduced", "0"), ("limit", "1.5.0"))
    assert range_contains("1.0.0", events, SEMVER)
    assert not range_contains("1.5.0", events, SEMVER)


def test_git_ranges_are_ignored_and_versions_list_is_authoritative() -> None:
    affected = AffectedPackage(
        ecosystem="PyPI",
        name="x",
        ranges=(_range(("introduced", "0"), kind=RangeType.GIT),),
        versions=("1.0",),
    )
    assert affects(affected, "1.0", PEP440) == ()
    assert affects(affected, "2.0", PEP440) is None


def test_nearest_fix_is_the_lowest_fix_above_the_installed_version() -> None:
    advisory = Advisory(
        id="X-1",
        affected=(
            AffectedPackage(
                ecosystem="PyPI",
                name="Django",
                ranges=(
                    _range(
                        ("introduced", "2.2"),
                        ("fixed", "2.2.18"),
                        ("introduced", "3.0"),
                        ("fixed", "3.0.12"),
                    ),
                ),
            ),
        ),
    )
    match = evaluate(advisory, ecosystem="PyPI", names=["django"], version="3.0.1", compare=PEP440)
    assert match is not None
    assert match.nearest_fix == "3.0.12"
    assert match.fixed_versions == ("3.0.12",)
    assert (
        evaluate(advisory, ecosystem="PyPI", names=["django"], version="3.0.12", compare=PEP440)
        is None
    )
    assert (
        evaluate(advisory, ecosystem="npm", names=["django"], version="3.0.1", compare=SEMVER)
        is None
    )


def test_aliased_records_form_one_group() -> None:
    def match(identifier: str, *aliases: str) -> Match:
        advisory = Advisory(id=identifier, aliases=aliases)
        return Match(facts=AdvisoryFacts.of(advisory), entry=0, fixed_versions=())

    groups = group_by_alias([match("PYSEC-1", "CVE-1"), match("GHSA-1", "CVE-1"), match("OTHER")])
    assert sorted(len(g) for g in groups) == [1, 2]
    # chains join transitively; one match or none needs no union
    chain = [match("A-1", "CVE-1"), match("B-1", "CVE-2"), match("C-1", "CVE-1", "CVE-2")]
    assert [[m.id for m in g] for g in group_by_alias(chain)] == [["A-1", "B-1", "C-1"]]
    assert [[m.id for m in g] for g in group_by_alias(chain[:1])] == [["A-1"]]
    assert group_by_alias([]) == []


# --- the PyPA advisory database, checked against an independent oracle -------------


def _oracle(version: Version, record: Advisory) -> bool:
    """Affected per SOURCE.md, computed with ``packaging`` alone: listed, or inside an
    ECOSYSTEM interval [introduced, fixed) / [introduced, last_affected]."""
    for affected in record.affected:
        if str(version) in affected.versions or any(
            Version(v) == version for v in affected.versions if _valid(v)
        ):
            return True
        for rng in affected.ranges:
            if rng.type is not RangeType.ECOSYSTEM:
                continue
            events = sorted(
                rng.events, key=lambda e: Version("0") if e.version == "0" else Version(e.version)
            )
            inside = False
            for event in events:
                bound = Version(event.version)
                if event.kind is EventKind.INTRODUCED and version >= bound:
                    inside = True
                elif (event.kind is EventKind.FIXED and version >= bound) or (
                    event.kind is EventKind.LAST_AFFECTED and version > bound
                ):
                    inside = False
            if inside:
                return True
    return False


def _valid(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _sample_records() -> list[Path]:
    root = CORPUS_ROOT / "pypa-advisory-database" / "vulns"
    return sorted(root.rglob("*.yaml"))[::7] if root.exists() else []


@pytest.mark.parametrize("path", _sample_records(), ids=lambda p: p.stem)
def test_pypa_record_matches_the_independent_oracle(path: Path) -> None:
    record = parse_record(path.read_bytes(), source=path.name)
    bounds = {
        e.version
        for a in record.affected
        for r in a.ranges
        if r.type is RangeType.ECOSYSTEM
        for e in r.events
    }
    listed = {v for a in record.affected for v in a.versions}
    candidates = {v for v in bounds | listed if v != "0" and _valid(v)}
    if not all(_valid(e) for e in bounds - {"0"} if e):
        pytest.skip("a range bound is not PEP 440; the oracle cannot order it")
    for version in sorted(candidates, key=Version):
        names = [a.name for a in record.affected]
        ours = evaluate(record, ecosystem="PyPI", names=names, version=version, compare=PEP440)
        assert (ours is not None) == _oracle(Version(version), record), version
