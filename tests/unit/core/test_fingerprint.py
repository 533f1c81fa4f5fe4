"""The fingerprint recipe of docs/adr/0002: stable across unrelated edits, distinct otherwise."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from secloop.core import Finding, FindingKind, KubernetesResource, Location, Package, Severity
from secloop.core.fingerprint import assign_fingerprints, base_fingerprint


def _at(line: int, evidence: str | None = "password = 'x'", **changes: object) -> Finding:
    finding = Finding(
        kind=FindingKind.SECRET,
        rule_id="SECRET-1",
        severity=Severity.HIGH,
        title="t",
        message=f"found at {line}",
        location=Location(path="app/settings.py", start_line=line),
        scanner="secret",
        evidence=evidence,
    )
    return dataclasses.replace(finding, **changes)  # type: ignore[arg-type]


def test_fingerprint_survives_lines_moving() -> None:
    before = assign_fingerprints([_at(3)])[0].fingerprint
    after = assign_fingerprints([_at(40)])[0].fingerprint
    assert before == after
    assert before.endswith(":1")


def test_fingerprint_ignores_indentation_and_message_and_severity() -> None:
    plain = assign_fingerprints([_at(3)])[0].fingerprint
    moved = assign_fingerprints(
        [_at(9, evidence="    password =   'x'", severity=Severity.LOW, message="other")]
    )[0]
    assert moved.fingerprint == plain


def test_fingerprint_changes_with_rule_path_kind_or_anchor() -> None:
    reference = base_fingerprint(_at(3))
    assert base_fingerprint(_at(3, rule_id="SECRET-2")) != reference
    assert base_fingerprint(_at(3, location=Location(path="other.py", start_line=3))) != reference
    assert base_fingerprint(_at(3, kind=FindingKind.CODE)) != reference
    assert base_fingerprint(_at(3, evidence="token = 'y'")) != reference
    assert base_fingerprint(_at(3, anchor="explicit")) != reference


def test_anchor_wins_over_evidence() -> None:
    assert base_fingerprint(_at(3, anchor="k", evidence="a")) == base_fingerprint(
        _at(7, anchor="k", evidence="b")
    )


def test_repeated_text_is_numbered_by_position_and_earlier_ones_keep_theirs() -> None:
    two = assign_fingerprints([_at(20), _at(10)])
    assert [f.fingerprint.rsplit(":", 1)[1] for f in two] == ["2", "1"]
    three = assign_fingerprints([_at(10), _at(20), _at(30)])
    assert three[0].fingerprint == two[1].fingerprint
    assert three[1].fingerprint == two[0].fingerprint


def test_existing_fingerprints_are_kept() -> None:
    assert assign_fingerprints([_at(3, fingerprint="imported:1")])[0].fingerprint == "imported:1"


def test_subject_falls_back_to_resource_then_package() -> None:
    resource = KubernetesResource(api_version="v1", kind="Pod", name="web", namespace="a")
    on_resource = _at(3, location=Location(resource=resource), evidence=None, anchor="spec.x")
    other_ns = dataclasses.replace(
        on_resource,
        location=Location(resource=dataclasses.replace(resource, namespace="b")),
    )
    assert base_fingerprint(on_resource) != base_fingerprint(other_ns)
    package = Package.create(name="requests", version="2.0", ecosystem="PyPI")
    on_package = _at(3, location=Location(), evidence=None, package=package, anchor="GHSA-1")
    assert base_fingerprint(on_package) != base_fingerprint(
        dataclasses.replace(on_package, package=None)
    )


def test_without_anchor_or_evidence_the_line_is_the_last_resort() -> None:
    assert base_fingerprint(_at(3, evidence=None)) != base_fingerprint(_at(4, evidence=None))
    bare = _at(3, evidence=None, location=Location(path="x"))
    assert base_fingerprint(bare) == base_fingerprint(dataclasses.replace(bare, message="z"))


@given(shift=st.integers(min_value=1, max_value=10_000), indent=st.text(" \t", max_size=8))
def test_property_shifting_and_reindenting_never_changes_the_fingerprint(
    shift: int, indent: str
) -> None:
    original = assign_fingerprints([_at(1)])[0].fingerprint
    edited = assign_fingerprints([_at(1 + shift, evidence=indent + "password = 'x'")])[0]
    assert edited.fingerprint == original
