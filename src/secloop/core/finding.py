"""The one finding model shared by every scanner, importer and report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from secloop.core.location import Location
from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity

if TYPE_CHECKING:
    from secloop.core.package import Package


class FindingKind(StrEnum):
    VULNERABILITY = "vulnerability"
    MISCONFIGURATION = "misconfiguration"
    SECRET = "secret"  # noqa: S105 - a finding kind, not a credential
    CODE = "code"
    LICENSE = "license"
    RUNTIME = "runtime"


class SuppressionKind(StrEnum):
    INLINE = "inline"  # a comment at the finding's line
    EXTERNAL = "external"  # an entry in the ignore file


class BaselineState(StrEnum):
    """Values and meaning as in SARIF 2.1.0 section 3.27.24."""

    NEW = "new"
    UNCHANGED = "unchanged"


class VerificationStatus(StrEnum):
    """What a secret's provider said when asked whether the credential works."""

    VERIFIED = "verified"  # accepted: the credential is live
    INVALID = "invalid"  # rejected: revoked, expired or never valid
    UNKNOWN = "unknown"  # no trustworthy answer (network error, rate limit, odd reply)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretVerification:
    """The outcome of an opt-in liveness check of a found secret (``--verify``)."""

    status: VerificationStatus
    verifier: str  # the provider checked, e.g. "github"
    reason: str = ""  # why, for UNKNOWN and INVALID; never contains the secret


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppression:
    kind: SuppressionKind
    reason: str
    source: str  # where it was declared: "path:line" or ".secloopignore.yaml#3"
    expires: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnerabilityDetail:
    """What a vulnerability finding adds: the advisory ids and the versions involved."""

    advisory_id: str
    aliases: tuple[str, ...] = ()
    installed_version: str
    fixed_versions: tuple[str, ...] = ()
    cvss_vectors: tuple[str, ...] = ()

    @property
    def fixable(self) -> bool:
        return bool(self.fixed_versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class RelatedFinding:
    """Another finding of the same result with the same root cause and subject
    (:mod:`secloop.policy.links`); ``location`` is its display form (``Dockerfile:3``)."""

    fingerprint: str
    rule_id: str
    location: str
    root_cause: RootCause


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found at one place.

    ``anchor`` is the scanner's stable identity of the problem within its file or
    resource (a Kubernetes field path, a package purl and advisory id, a hash of the
    offending text). The fingerprint is derived from it, never from line numbers, so
    it survives unrelated edits; see :mod:`secloop.core.fingerprint`.
    """

    kind: FindingKind
    rule_id: str
    severity: Severity
    title: str
    message: str
    location: Location = field(default_factory=Location)
    scanner: str
    anchor: str = ""
    evidence: str | None = None
    remediation: str | None = None
    references: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    package: Package | None = None
    vulnerability: VulnerabilityDetail | None = None
    fingerprint: str = ""
    suppression: Suppression | None = None
    baseline_state: BaselineState | None = None
    verification: SecretVerification | None = None  # secrets, with --verify only
    related: tuple[RelatedFinding, ...] = ()  # same root cause, same subject (ADR 6)
    # The container image a workload finding's container runs (Kubernetes, Compose):
    # what links it with the image's own findings (ADR 6). Not a fingerprint input.
    image: str | None = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def active(self) -> bool:
        """Counts for reports and gates: neither suppressed nor already in the baseline."""
        return self.suppression is None and self.baseline_state is not BaselineState.UNCHANGED
