"""Link the findings of one result that share a root cause and a subject (ADR 6).

A Dockerfile without ``USER`` (SL-DF-002) and the image built from it running as root
(SL-IMG-001) are one mistake seen twice; fixing the Dockerfile fixes both. The rules
say which mistake they report (:attr:`secloop.core.rule.Rule.root_cause`); *which*
findings concern the same thing is not in the findings themselves, so the caller says
it with a subject function: ``secloop image REF --dockerfile PATH`` asserts that the
image was built from PATH (:func:`built_from`).

Steps:

1. Give each finding its group ``(subject, root cause)``; a finding without a subject,
   or whose rule names no cause, is in no group.
2. Within a group, each finding lists every finding of *another* rule family
   (Dockerfile, image, Kubernetes, Compose: the rule's first tag, else its scanner).
   Two findings of one family are two places of one kind, not one cause seen from two
   sides (SL-K8S-009 and SL-K8S-010 on one container), so they are not linked.
3. Links are ordered by rule id, location and fingerprint, so reports are stable.

Fingerprints are not inputs to each other (ADR 2): linking never changes identity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from secloop.core.finding import Finding, RelatedFinding
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule

__all__ = [
    "DOCKERFILE_SCANNER",
    "IMAGE_CONFIG_SCANNER",
    "SubjectOf",
    "built_from",
    "link_root_causes",
]

#: What a finding is about, as a comparable key; None: about nothing linkable.
SubjectOf = Callable[[Finding], str | None]

#: The scanner of the image configuration checks (secloop.scan.image_checks).
#: The scanners whose findings ``built_from`` relates (secloop.scan.image_checks and
#: secloop.scan.misconfig; policy sits below scan, so by name; a test keeps them equal).
IMAGE_CONFIG_SCANNER = "image-config"
DOCKERFILE_SCANNER = "dockerfile"
_IMAGE_SUBJECT = "image"


def built_from(dockerfile_path: str) -> SubjectOf:
    """Subjects for an image scan whose image was built from ``dockerfile_path`` (the
    path its findings carry): the image's configuration and that Dockerfile are one
    subject; everything else (files inside the image, Dockerfiles among them) none."""

    def subject(finding: Finding) -> str | None:
        if finding.scanner == IMAGE_CONFIG_SCANNER:
            return _IMAGE_SUBJECT
        if finding.scanner == DOCKERFILE_SCANNER and finding.location.path == dockerfile_path:
            return _IMAGE_SUBJECT
        return None

    return subject


def _family(finding: Finding, rule: Rule) -> str:
    return rule.tags[0] if rule.tags else finding.scanner


def _related(finding: Finding, cause: RootCause) -> RelatedFinding:
    return RelatedFinding(
        fingerprint=finding.fingerprint,
        rule_id=finding.rule_id,
        location=finding.location.display,
        root_cause=cause,
    )


def _link_order(link: RelatedFinding) -> tuple[str, str, str]:
    return (link.rule_id, link.location, link.fingerprint)


def link_root_causes(
    findings: Sequence[Finding], rules: Mapping[str, Rule], subject_of: SubjectOf
) -> list[Finding]:
    """``findings`` with ``related`` set on each that shares a cause with another
    family's finding of its subject; the others unchanged, order kept."""
    groups: dict[tuple[str, RootCause], list[int]] = defaultdict(list)
    families: dict[int, str] = {}
    for index, finding in enumerate(findings):  # (1)
        rule = rules.get(finding.rule_id)
        cause = rule.root_cause if rule is not None else None
        subject = subject_of(finding) if cause is not None else None
        if rule is None or cause is None or subject is None:
            continue
        groups[(subject, cause)].append(index)
        families[index] = _family(finding, rule)
    linked = list(findings)
    for (_, cause), members in groups.items():
        for index in members:
            links = [
                _related(findings[other], cause)
                for other in members
                if families[other] != families[index]  # (2)
            ]
            if links:
                merged = {*findings[index].related, *links}
                linked[index] = replace(
                    findings[index],
                    related=tuple(sorted(merged, key=_link_order)),  # (3)
                )
    return linked
