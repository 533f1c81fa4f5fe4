"""Rules and helpers for secrets that only a file's *structure* reveals.

A regex over text finds a token by its shape. Some secrets have no shape: a
Kubernetes ``Secret`` whose ``data`` is base64 of a random password, a Terraform state
output marked ``sensitive``. Their file format says "this is secret", so the format
readers (:mod:`.kubernetes`, :mod:`.tfstate`, :mod:`.notebook`) report them under the
rules below, and re-run the text rules over values the raw text hides (base64,
JSON-escaped notebook cells), relocated to the line where the value is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import LayerRef, Location
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.secrets.engine import SCANNER_NAME, mask
from secloop.scan.secrets.filters import is_placeholder, looks_like_reference, shannon_entropy
from secloop.scan.secrets.rules.generic import GENERIC_STOPWORDS

__all__ = [
    "K8S_SECRET_MANIFEST",
    "STRUCTURAL_RULES",
    "TFSTATE_SENSITIVE_VALUE",
    "looks_random",
    "merge_findings",
    "relocate",
    "structural_finding",
]

K8S_SECRET_MANIFEST = Rule(
    id="SECRET-K8S-SECRET-MANIFEST",
    kind=FindingKind.SECRET,
    title="Kubernetes Secret manifest with real-looking data committed",
    severity=Severity.MEDIUM,
    description=(
        "A `kind: Secret` manifest whose `data` (base64-decoded) or `stringData` holds a "
        "random-looking value that no provider rule recognises. Trivy reports nothing "
        "here; secloop does, because a Secret committed with live values is a leak "
        "whatever the credential is. Values that are empty, short (< 8 characters), "
        "low-entropy (< 3 bits per character), placeholders, references or Helm "
        "templates are not reported, and a value a provider rule already reported is "
        "reported once, under that rule. Severity is MEDIUM, not HIGH: the kind of "
        "credential, and so its blast radius, is unknown."
    ),
    remediation=(
        "Rotate the values, remove the manifest from the repository and its history, and "
        "deliver the Secret from a secret store (External Secrets, Sealed Secrets, SOPS)."
    ),
    references=("https://kubernetes.io/docs/concepts/security/secrets-good-practices/",),
    tags=("secret", "kubernetes"),
)

TFSTATE_SENSITIVE_VALUE = Rule(
    id="SECRET-TFSTATE-SENSITIVE-VALUE",
    kind=FindingKind.SECRET,
    title="Sensitive value in a committed Terraform state file",
    severity=Severity.HIGH,
    description=(
        "Terraform state stores every output and resource attribute in clear text, "
        "including outputs marked `sensitive = true` and attributes such as `password`, "
        "`secret` or `token`. A committed `*.tfstate` leaks them."
    ),
    remediation=(
        "Rotate the values, remove the state file from the repository and its history, and "
        "keep state in an encrypted remote backend (S3 with KMS, Terraform Cloud, GCS)."
    ),
    references=("https://developer.hashicorp.com/terraform/language/state/sensitive-data",),
    tags=("secret", "terraform"),
)

STRUCTURAL_RULES: tuple[Rule, ...] = (K8S_SECRET_MANIFEST, TFSTATE_SENSITIVE_VALUE)

#: Below this a decoded value is a flag, a port or a user name rather than key material.
_MIN_RANDOM_LENGTH = 8
_MIN_RANDOM_ENTROPY = 3.0


def looks_random(value: str) -> bool:
    """Long enough, varied enough, and not a placeholder, a reference or an example."""
    if len(value) < _MIN_RANDOM_LENGTH or shannon_entropy(value) < _MIN_RANDOM_ENTROPY:
        return False
    if is_placeholder(value) or looks_like_reference(value):
        return False
    lowered = value.lower()
    return not any(word in lowered for word in GENERIC_STOPWORDS)


def structural_finding(
    rule: Rule,
    value: str,
    *,
    path: str,
    line: int,
    column: int,
    where: str,
    layer: LayerRef | None,
) -> Finding:
    """A finding for ``value`` at ``where`` (a field path for humans), masked and anchored
    like the text rules (``RULE:sha256:<hex>``) so baselines treat both alike."""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return Finding(
        kind=FindingKind.SECRET,
        rule_id=rule.id,
        severity=rule.severity,
        title=rule.title,
        message=f"{rule.title}: {where} ({mask(value)})",
        location=Location(
            path=path, start_line=line, end_line=line, start_column=column, layer=layer
        ),
        scanner=SCANNER_NAME,
        anchor=f"{rule.id}:sha256:{digest}",
        evidence=f"{where}: {mask(value)}",
        remediation=rule.remediation,
        references=rule.references,
    )


def relocate(findings: Iterable[Finding], *, line: int, column: int, label: str) -> list[Finding]:
    """Findings from a value scanned on its own, moved to the line the value is written
    on (their offsets inside the decoded value mean nothing in the file)."""
    moved: list[Finding] = []
    for finding in findings:
        location = replace(
            finding.location, start_line=line, end_line=line, start_column=column, end_column=None
        )
        evidence = f"{label}: {finding.evidence}" if finding.evidence else label
        moved.append(replace(finding, location=location, evidence=evidence))
    return moved


def merge_findings(primary: Sequence[Finding], extra: Sequence[Finding]) -> list[Finding]:
    """``primary`` (the whole-text scan) plus those of ``extra`` whose secret it did not
    already report. The key is the anchor alone, not the line: a value scanned on its
    own is relocated to its key's line, while the text scan may have found the same
    secret a few lines down inside a block scalar; that is one secret, not two."""
    seen = {f.anchor for f in primary}
    merged = list(primary)
    for finding in extra:
        key = finding.anchor
        if key not in seen:
            seen.add(key)
            merged.append(finding)
    merged.sort(key=lambda f: (f.location.start_line or 0, f.location.start_column or 0))
    return merged
