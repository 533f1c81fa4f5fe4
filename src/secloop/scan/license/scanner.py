"""``LicenseScanner``: every inventory package's declared licence against a policy.

One finding per package occurrence whose licence the policy denies (SL-LIC-001), and,
when asked, one per package whose licence is unknown (SL-LIC-002): nothing declared, or
a declaration that is no SPDX expression. The finding points at the package's entry in
its manifest (file and line), like a vulnerability finding; its anchor is the package
without its version and the licence, so an upgrade that keeps the licence keeps the
fingerprint and a licence change is a new finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from secloop.core.finding import Finding, FindingKind
from secloop.core.package import Package, build_purl
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.policy.licenses import LicensePolicy, LicenseStatus, evaluate_license
from secloop.scan.interface import Inventory, Scanner
from secloop.scan.vuln.findings import package_location

__all__ = ["DENIED_RULE", "UNKNOWN_RULE", "LicenseScanner"]

_SPDX_LIST = "https://spdx.org/licenses/"
_EXPRESSIONS = "https://spdx.github.io/spdx-spec/v2.3/SPDX-license-expressions/"

DENIED_RULE = Rule(
    id="SL-LIC-001",
    kind=FindingKind.LICENSE,
    title="Package licence is denied by the licence policy",
    severity=Severity.HIGH,
    description=(
        "The package declares a licence that the project's licence policy denies "
        "(`--deny-license`, or `licenses.deny` / `licenses.allow` in the configuration). "
        "Declarations are SPDX expressions: `A OR B` passes when either licence is "
        "acceptable, `A AND B` only when both are."
    ),
    remediation=(
        "Replace the package with one under an acceptable licence, or, after legal "
        "review, suppress the finding with the reason in .secloopignore.yaml."
    ),
    references=(_SPDX_LIST, _EXPRESSIONS),
    peers={"trivy": "license"},
    tags=("license", "compliance"),
)

UNKNOWN_RULE = Rule(
    id="SL-LIC-002",
    kind=FindingKind.LICENSE,
    title="Package licence is unknown",
    severity=Severity.LOW,
    description=(
        "The package declares no licence, or declares one that is not an SPDX "
        "expression, so the licence policy cannot decide on it. Reported only with "
        "`--license-unknown` (or `licenses.unknown: true`)."
    ),
    remediation=(
        "Check the package's licence by hand; an upstream that publishes an SPDX "
        "expression (PEP 639 `License-Expression`, npm `license`) removes the doubt."
    ),
    references=(_SPDX_LIST,),
    tags=("license", "compliance"),
)


def _anchor(package: Package) -> str:
    return f"{build_purl(package.ecosystem, package.name, None)}|{package.license or ''}"


class LicenseScanner(Scanner):
    """Reports packages whose declared licence ``policy`` denies (or does not know)."""

    name = "license"
    kind = FindingKind.LICENSE
    uses_inventory = True

    def __init__(self, policy: LicensePolicy) -> None:
        self._policy = policy

    def rules(self) -> Sequence[Rule]:
        return (DENIED_RULE, UNKNOWN_RULE)

    def scan_inventory(self, inventory: Inventory) -> Iterable[Finding]:
        return list(self._findings(inventory.packages))

    def _findings(self, packages: Sequence[Package]) -> Iterator[Finding]:
        for package in packages:
            verdict = evaluate_license(self._policy, package.license)
            if verdict.status is LicenseStatus.DENIED:
                yield self._denied(package, verdict.offending)
            elif verdict.status is LicenseStatus.UNKNOWN and self._policy.report_unknown:
                yield self._unknown(package)

    def _denied(self, package: Package, offending: tuple[str, ...]) -> Finding:
        because = ", ".join(offending)
        return Finding(
            kind=FindingKind.LICENSE,
            rule_id=DENIED_RULE.id,
            severity=self._policy.severity,
            title=f"{package.name} is licensed under a denied licence ({because})",
            message=(
                f"{package.name} {package.version} declares the licence {package.license!r}; "
                f"the licence policy denies {because}"
            ),
            location=package_location(package),
            scanner=self.name,
            anchor=_anchor(package),
            evidence=package.license,
            remediation=DENIED_RULE.remediation,
            references=DENIED_RULE.references,
            package=package,
        )

    def _unknown(self, package: Package) -> Finding:
        declared = (
            f"declares the licence {package.license!r}, which is not an SPDX expression"
            if package.license
            else "declares no licence"
        )
        return Finding(
            kind=FindingKind.LICENSE,
            rule_id=UNKNOWN_RULE.id,
            severity=UNKNOWN_RULE.severity,
            title=f"{package.name} has an unknown licence",
            message=f"{package.name} {package.version} {declared}",
            location=package_location(package),
            scanner=self.name,
            anchor=_anchor(package),
            evidence=package.license,
            remediation=UNKNOWN_RULE.remediation,
            references=UNKNOWN_RULE.references,
            package=package,
        )
