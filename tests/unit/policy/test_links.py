"""Root-cause links between the findings of one result (secloop.policy.links)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from secloop.core.finding import Finding, FindingKind, RelatedFinding
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import Location
from secloop.core.result import ScanResult
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.policy.apply import PolicySettings, apply_policy
from secloop.policy.links import built_from, link_root_causes


def _rule(rule_id: str, family: str, cause: RootCause | None) -> Rule:
    return Rule(
        id=rule_id,
        kind=FindingKind.MISCONFIGURATION,
        title=rule_id,
        severity=Severity.MEDIUM,
        tags=(family,),
        root_cause=cause,
    )


RULES = {
    rule.id: rule
    for rule in (
        _rule("SL-IMG-001", "image", RootCause.RUNS_AS_ROOT),
        _rule("SL-IMG-008", "image", RootCause.NO_HEALTHCHECK),
        _rule("SL-DF-001", "dockerfile", RootCause.RUNS_AS_ROOT),
        _rule("SL-DF-002", "dockerfile", RootCause.RUNS_AS_ROOT),
        _rule("SL-DF-005", "dockerfile", None),
    )
}


def _finding(rule_id: str, scanner: str, path: str, line: int | None = None) -> Finding:
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule_id,
        severity=Severity.LOW if rule_id == "SL-DF-002" else Severity.MEDIUM,
        title=rule_id,
        message=rule_id,
        location=Location(path=path, start_line=line),
        scanner=scanner,
        anchor=rule_id,
    )


def _findings() -> list[Finding]:
    return assign_fingerprints(
        [
            _finding("SL-IMG-001", "image-config", "(image config)"),
            _finding("SL-IMG-008", "image-config", "(image config)"),
            _finding("SL-DF-002", "dockerfile", "build/Dockerfile", 1),
            _finding("SL-DF-005", "dockerfile", "build/Dockerfile", 1),
            # A Dockerfile inside the image is not the one the image was built from.
            _finding("SL-DF-002", "dockerfile", "app/Dockerfile", 1),
        ]
    )


def test_image_and_its_dockerfile_list_each_other() -> None:
    image_root, health, dockerfile_root, unpinned, inner = link_root_causes(
        _findings(), RULES, built_from("build/Dockerfile")
    )
    assert image_root.related == (
        RelatedFinding(
            fingerprint=dockerfile_root.fingerprint,
            rule_id="SL-DF-002",
            location="build/Dockerfile:1",
            root_cause=RootCause.RUNS_AS_ROOT,
        ),
    )
    assert dockerfile_root.related == (
        RelatedFinding(
            fingerprint=image_root.fingerprint,
            rule_id="SL-IMG-001",
            location="(image config)",
            root_cause=RootCause.RUNS_AS_ROOT,
        ),
    )
    # no partner of another family, no cause, and not the Dockerfile the image came from
    assert health.related == unpinned.related == inner.related == ()


def test_links_change_no_identity_and_keep_the_order() -> None:
    before = _findings()
    after = link_root_causes(before, RULES, built_from("build/Dockerfile"))
    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]
    assert [replace(f, related=()) for f in after] == before


def test_one_family_is_never_linked_with_itself_and_links_are_sorted() -> None:
    findings = assign_fingerprints(
        [
            _finding("SL-IMG-001", "image-config", "(image config)"),
            _finding("SL-DF-002", "dockerfile", "Dockerfile", 9),
            _finding("SL-DF-001", "dockerfile", "Dockerfile", 3),
        ]
    )
    image, no_user, root_user = link_root_causes(findings, RULES, built_from("Dockerfile"))
    assert [link.rule_id for link in image.related] == ["SL-DF-001", "SL-DF-002"]
    assert [link.rule_id for link in no_user.related] == ["SL-IMG-001"]
    assert [link.rule_id for link in root_user.related] == ["SL-IMG-001"]


def test_without_a_subject_nothing_is_linked() -> None:
    findings = _findings()
    assert link_root_causes(findings, RULES, lambda _: None) == findings


def test_policy_links_last_so_no_link_names_a_filtered_finding() -> None:
    result = ScanResult(
        target=Target(TargetKind.OCI_LAYOUT, "layout:app"),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=datetime(2026, 1, 1, tzinfo=UTC),
        tool_version="0",
        findings=tuple(_findings()),
        rules=RULES,
    )
    link = built_from("build/Dockerfile")
    linked = apply_policy(result, PolicySettings(today=date(2026, 1, 1), link_subject=link))
    assert [f.rule_id for f in linked.findings if f.related] == ["SL-IMG-001", "SL-DF-002"]
    medium_only = apply_policy(
        result,
        PolicySettings(today=date(2026, 1, 1), link_subject=link, severities=(Severity.MEDIUM,)),
    )
    assert all(not f.related for f in medium_only.findings)  # SL-DF-002 (LOW) was filtered
    unlinked = apply_policy(result, PolicySettings(today=date(2026, 1, 1)))
    assert all(not f.related for f in unlinked.findings)


def test_the_scanner_names_links_rely_on_are_the_scanners_names() -> None:
    from secloop.policy.links import DOCKERFILE_SCANNER, IMAGE_CONFIG_SCANNER
    from secloop.scan.image_checks import ImageConfigScanner
    from secloop.scan.misconfig.scanner import DockerfileScanner

    assert ImageConfigScanner.name == IMAGE_CONFIG_SCANNER
    assert DockerfileScanner.name == DOCKERFILE_SCANNER
