"""Root-cause links on the server: which stored findings are one mistake (ADR 6).

Pure functions over an imported report; :mod:`secloop.server.storage.links` stores
what they return. Two sources of links:

1. **secloop's own** (``related`` in secloop JSON, from ``secloop image REF
   --dockerfile PATH``): the user asserted the image was built from the Dockerfile;
   the links are kept as reported.
2. **Subjects across the scans of one project.** A finding whose rule has a root cause
   (its own rule's, or that of the secloop rule its peer id maps to, through
   :class:`~secloop.server.correlate.PeerIndex`) is about an image:

   a. a workload finding (Kubernetes, Compose): the image its container runs
      (``Finding.image``);
   b. an image-configuration finding of a secloop image scan: the scanned image (the
      report's target);
   c. a finding secloop linked with one of (b) under the same cause (the Dockerfile
      side of 1): that image too.

   Findings of different rule families with the same subject and cause are linked,
   whichever scan stored them first.

Image references are compared in canonical form (``nginx`` is
``docker.io/library/nginx:latest``); a tag and a digest of the same image are two
subjects, since nothing in the reports says they are the same content.
"""

from __future__ import annotations

from dataclasses import dataclass

from secloop.core.finding import FindingKind
from secloop.core.root_cause import RootCause
from secloop.policy.links import IMAGE_CONFIG_SCANNER
from secloop.scan.artifact.image.reference import identity_of
from secloop.server.correlate import PeerIndex, tool_of
from secloop.server.ingest.interface import ImportedReport, ImportFormat

__all__ = [
    "ReportLink",
    "SubjectKey",
    "image_subject",
    "report_links",
    "subject_keys",
    "subject_reason",
]

_IMAGE_FAMILY = "image"
_MAX_REFERENCE = 400  # longer is not an image reference (subject column is 512)


@dataclass(frozen=True, slots=True)
class ReportLink:
    """A link secloop reported: ``source`` lists ``target`` (positions in the report)."""

    source: int
    target: int
    root_cause: RootCause
    reason: str


@dataclass(frozen=True, slots=True)
class SubjectKey:
    """The finding at ``index`` in the report is about ``subject`` with this cause."""

    index: int
    subject: str
    root_cause: RootCause
    family: str


def image_subject(reference: str) -> str | None:
    """``image:<canonical reference>``, with ``:latest`` where no tag or digest is
    given; None for text that is no image reference."""
    text = reference.strip()
    if not text or len(text) > _MAX_REFERENCE:
        return None
    identity = identity_of(text)
    return None if identity is None else f"image:{identity}"


def subject_reason(cause: RootCause, subject: str) -> str:
    """The line shown next to a cross-scan link on the finding page."""
    return f"{cause.description}; both concern {subject.removeprefix('image:')}"


def report_links(report: ImportedReport) -> list[ReportLink]:
    """Source 1: every ``related`` entry whose fingerprint names a finding of the report."""
    if not any(finding.related for finding in report.findings):
        return []
    position = {finding.fingerprint: index for index, finding in enumerate(report.findings)}
    links: list[ReportLink] = []
    for index, finding in enumerate(report.findings):
        for link in finding.related:
            other = position.get(link.fingerprint)
            if other is None or other == index:
                continue
            reason = (
                f"{link.root_cause.description}; linked by {report.tool} "
                f"({link.rule_id} at {link.location})"
            )
            links.append(ReportLink(index, other, link.root_cause, reason))
    return links


def subject_keys(report: ImportedReport, peers: PeerIndex) -> list[SubjectKey]:
    """Source 2: the subjects of the report's findings that have a root cause."""
    keys: list[SubjectKey] = []
    scanned_image = image_subject(report.target) if report.format is ImportFormat.SECLOOP else None
    for index, finding in enumerate(report.findings):
        if finding.kind is not FindingKind.MISCONFIGURATION:  # only they have causes
            continue
        causes = peers.root_causes(tool_of(report, finding), finding.rule_id)
        if not causes:
            continue
        subject: str | None = None
        if finding.image is not None:  # (a)
            subject = image_subject(finding.image)
        elif finding.scanner == IMAGE_CONFIG_SCANNER:  # (b)
            subject = scanned_image
        if subject is None:
            continue
        keys.extend(SubjectKey(index, subject, cause, family) for cause, family in causes)
    return keys + _linked_subjects(report, keys, peers)


def _linked_subjects(
    report: ImportedReport, keys: list[SubjectKey], peers: PeerIndex
) -> list[SubjectKey]:
    """(c): the image subject of a finding's secloop-linked partner, same cause."""
    by_index: dict[tuple[int, RootCause], str] = {
        (key.index, key.root_cause): key.subject for key in keys if key.family == _IMAGE_FAMILY
    }
    if not by_index:
        return []
    have = {(key.index, key.root_cause) for key in keys}
    extra: list[SubjectKey] = []
    for link in report_links(report):
        subject = by_index.get((link.target, link.root_cause))
        if subject is None or (link.source, link.root_cause) in have:
            continue
        finding = report.findings[link.source]
        for cause, family in peers.root_causes(tool_of(report, finding), finding.rule_id):
            if cause is link.root_cause:
                extra.append(SubjectKey(link.source, subject, cause, family))
                have.add((link.source, cause))
    return extra
