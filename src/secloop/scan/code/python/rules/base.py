"""The rule unit: metadata for reports and docs, and stateless checks over sites."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secloop.core.finding import FindingKind
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.code.python.sites import AssignSite, AttributeSite, CallSite, CompareSite, Hit

__all__ = ["AssignCheck", "AttributeCheck", "CallCheck", "CodeRule", "CompareCheck"]

CallCheck = Callable[[CallSite], Hit | None]
AttributeCheck = Callable[[AttributeSite], Hit | None]
AssignCheck = Callable[[AssignSite], Hit | None]
CompareCheck = Callable[[CompareSite], Hit | None]

OWASP_2021 = {
    "A01": "A01:2021 Broken Access Control",
    "A02": "A02:2021 Cryptographic Failures",
    "A03": "A03:2021 Injection",
    "A05": "A05:2021 Security Misconfiguration",
    "A07": "A07:2021 Identification and Authentication Failures",
    "A08": "A08:2021 Software and Data Integrity Failures",
    "A09": "A09:2021 Security Logging and Monitoring Failures",
    "A10": "A10:2021 Server-Side Request Forgery",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRule:
    """One Python rule. ``bandit`` lists every Bandit test id it covers, primary first.

    Bandit splits some weaknesses finer than secloop (one id per XML parser module),
    so one secloop rule may stand for several; reports carry the primary id as the
    peer and the docs list them all.
    """

    id: str
    title: str
    severity: Severity
    cwe: tuple[str, ...]
    owasp: str
    description: str
    remediation: str
    references: tuple[str, ...] = ()
    bandit: tuple[str, ...] = ()
    semgrep: str | None = None
    on_call: CallCheck | None = None
    on_attribute: AttributeCheck | None = None
    on_assign: AssignCheck | None = None
    on_compare: CompareCheck | None = None

    def __post_init__(self) -> None:
        if self.owasp not in OWASP_2021:
            raise ValueError(f"{self.id}: unknown OWASP category {self.owasp!r}")
        if not (self.on_call or self.on_attribute or self.on_assign or self.on_compare):
            raise ValueError(f"{self.id}: a rule needs at least one check")

    def to_rule(self) -> Rule:
        peers: dict[str, str] = {}
        if self.bandit:
            peers["bandit"] = self.bandit[0]
        if self.semgrep:
            peers["semgrep"] = self.semgrep
        return Rule(
            id=self.id,
            kind=FindingKind.CODE,
            title=self.title,
            severity=self.severity,
            description=self.description,
            remediation=self.remediation,
            references=self.references,
            peers=peers,
            frameworks={"cwe": self.cwe, "owasp-top10-2021": (OWASP_2021[self.owasp],)},
            tags=("python", "sast"),
        )
