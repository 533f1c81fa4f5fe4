"""The scanner's fast path (sort keys, compiled ranges, batched lookups, cached finding
parts) against the straightforward reference: ``evaluate`` per candidate advisory and
``finding_for`` per group, as the scanner did before it was optimised."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
)
from secloop.core.finding import Finding
from secloop.core.package import Package, PackageLocation
from secloop.scan.interface import Inventory
from secloop.scan.vuln import VulnerabilityScanner, scanner
from secloop.scan.vuln.findings import finding_for
from secloop.vulndb.matching import evaluate, group_by_alias
from secloop.vulndb.osv import parse_record
from secloop.vulndb.store import VulnerabilityStore, build_database
from secloop.vulndb.versions import comparator_for, key_for
from tests.conftest import CORPUS_ROOT

_ORDERING = CORPUS_ROOT / "osv-version-ordering"


def _ordering_cases() -> list[tuple[str, str]]:
    mapping = _ORDERING / "ecosystems.json"
    if not mapping.exists():
        return []
    files = json.loads(mapping.read_text())
    return [(f, e) for f, ecosystems in files.items() if not f.startswith("_") for e in ecosystems]


@pytest.mark.parametrize(("name", "ecosystem"), _ordering_cases(), ids=str)
def test_sort_keys_order_exactly_as_the_comparators(name: str, ecosystem: str) -> None:
    compare, key = comparator_for(ecosystem), key_for(ecosystem)
    disagreements = []
    for line in (_ORDERING / name).read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or line.startswith(("# ", "// ")):
            continue
        a, b = parts[0], parts[2]
        by_key = (key(a) > key(b)) - (key(a) < key(b))
        if by_key != compare(a, b) or (key(a) == key(b)) != (compare(a, b) == 0):
            disagreements.append(line)
    assert disagreements == []


def _reference(store: VulnerabilityStore, package: Package) -> list[Finding]:
    """The scanner's pre-optimisation path, kept here as the oracle."""
    compare = comparator_for(package.ecosystem)
    names = tuple(dict.fromkeys(n for n in (package.source_name, package.name) if n))
    candidates = {a.id: a for n in names for a in store.lookup(package.ecosystem, n)}
    found = (
        evaluate(
            a, ecosystem=package.ecosystem, names=names, version=package.version, compare=compare
        )
        for a in candidates.values()
    )
    matches = [m for m in found if m is not None]
    return [finding_for(package, g, scanner="vuln") for g in group_by_alias(matches)]


def _compare_scans(db: Path, packages: list[Package]) -> int:
    fast = list(VulnerabilityScanner(db).scan_inventory(Inventory(packages=tuple(packages))))
    with VulnerabilityStore(db) as store:
        slow = [f for p in packages for f in _reference(store, p)]
    assert fast == slow
    return len(fast)


def _r(*events: tuple[str, str], kind: RangeType = RangeType.ECOSYSTEM) -> AffectedRange:
    return AffectedRange(type=kind, events=tuple(RangeEvent(EventKind(k), v) for k, v in events))


_EDGE_RANGES = {
    "npm": (
        _r(
            ("introduced", "0"),
            ("fixed", "1.2.0"),
            ("introduced", "2.0.0-rc.1"),
            ("fixed", "2.0.1"),
        ),
        _r(("introduced", "1.0.0"), ("last_affected", "1.5.0"), ("limit", "3.0.0")),
        _r(("fixed", "1.0.0"), ("introduced", "1.0.0"), ("introduced", "0.5.0")),
        _r(("introduced", "0.1.0"), ("fixed", "0.1.0")),
        _r(("introduced", "0"), ("limit", "0.9.0"), ("limit", "0.4.0"), kind=RangeType.SEMVER),
    ),
    "Debian:12": (
        _r(("introduced", "0"), ("fixed", "1:2.0-1~deb12u1")),
        _r(("introduced", "2.5-1"), ("last_affected", "2.5-3")),
    ),
    "PyPI": (
        _r(("introduced", "1.0"), ("fixed", "1.0.0.post1"), ("introduced", "2.0.dev1")),
        _r(("introduced", "0"), ("fixed", "0.9-doduo"), ("fixed", "1.0+local.1")),
    ),
}
_PROBES = {
    "npm": ("0.0.1", "0.4.0", "0.5.0", "1.0.0", "1.2.0", "1.5.0", "1.5.1", "2.0.0-rc.1",
            "2.0.0-beta", "2.0.0", "2.0.1+build", "3.0.0", "v1.1"),
    "Debian:12": ("1.0-1", "2.0-1", "1:1.0-1", "1:2.0-1~deb12u1", "2.5-2", "2.5-3", "2.5-4"),
    "PyPI": ("0.8", "0.9-doduo", "1.0", "1.0.0", "1.0.0.post1", "1.0+local.1", "1.5",
             "2.0.dev1", "2.0a1", "2.0", "not a version"),
}  # fmt: skip


def _edge_case_database(tmp_path: Path) -> tuple[Path, list[Package]]:
    advisories = []
    for ecosystem, ranges in _EDGE_RANGES.items():
        for index, rng in enumerate(ranges):
            entry = AffectedPackage(
                ecosystem=ecosystem, name="Pkg_a", ranges=(rng,), versions=("1.5",)
            )
            advisories.append(Advisory(id=f"{ecosystem}-{index}", affected=(entry,)))
    advisories.append(
        Advisory(
            id="MULTI-1",
            aliases=("npm-0",),
            affected=tuple(
                AffectedPackage(ecosystem="npm", name=n, ranges=(r,))
                for n in ("Pkg_a", "pkg-b")
                for r in _EDGE_RANGES["npm"][:2]
            ),
        )
    )
    db = tmp_path / "db.sqlite"
    build_database(db, advisories, source="test")
    packages = [
        Package.create(name=name, version=version, ecosystem=ecosystem, source_name=source)
        for ecosystem, probes in _PROBES.items()
        for version in probes
        for name, source in (("pkg.a", None), ("pkg-b", "Pkg_a"))
    ]
    return db, packages


def test_edge_case_ranges_agree_with_the_reference(tmp_path: Path) -> None:
    db, packages = _edge_case_database(tmp_path)
    assert _compare_scans(db, packages) > 20


def test_small_batches_and_repeated_releases_agree_with_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Releases matched a few at a time (records read per batch), each release once,
    its findings moved to every other place it appears, in inventory order."""
    monkeypatch.setattr(scanner, "_BATCH", 3)
    db, packages = _edge_case_database(tmp_path)
    elsewhere = [replace(p, locations=(PackageLocation(path="other/lock.json"),)) for p in packages]
    assert _compare_scans(db, [*packages, *reversed(elsewhere)]) > 40


def test_versionless_and_unknown_ecosystem_packages_match_nothing(tmp_path: Path) -> None:
    db, packages = _edge_case_database(tmp_path)
    unmatched = [
        Package.create(name="pkg.a", version="", ecosystem="npm"),  # a git dependency
        Package.create(name="pkg.a", version="1.0.0", ecosystem="NoSuchEcosystem"),
    ]
    inventory = Inventory(packages=(unmatched[0], *packages, unmatched[1]))
    found = list(VulnerabilityScanner(db).scan_inventory(inventory))
    assert found == list(
        VulnerabilityScanner(db).scan_inventory(Inventory(packages=tuple(packages)))
    )


def _pypa_sample() -> list[Advisory]:
    root = CORPUS_ROOT / "pypa-advisory-database" / "vulns"
    paths = sorted(root.rglob("*.yaml"))[::5] if root.exists() else []
    return [parse_record(p.read_bytes(), source=p.name) for p in paths]


def test_pypa_sample_scans_exactly_as_the_reference(tmp_path: Path) -> None:
    records = _pypa_sample()
    if not records:
        pytest.skip("pypa-advisory-database corpus not available")
    db = tmp_path / "pypa.sqlite"
    build_database(db, records, source="test")
    versions = {
        (a.name, v)
        for r in records
        for a in r.affected
        for v in (*a.versions, *(e.version for g in a.ranges for e in g.events))
    }
    packages = [
        Package.create(name=n, version=v, ecosystem="PyPI") for n, v in sorted(versions) if v != "0"
    ]
    assert _compare_scans(db, packages) > 1000
