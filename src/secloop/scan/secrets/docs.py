"""Render docs/rules/secrets.md from the rule table, so the page cannot drift from the code.

``python -m secloop.scan.secrets.docs > docs/rules/secrets.md`` regenerates it; a unit
test fails when the checked-in page differs from :func:`render_markdown`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from secloop.core.rule import Rule
from secloop.scan.secrets.model import SecretRule
from secloop.scan.secrets.rules import ALL_RULES
from secloop.scan.secrets.structural import STRUCTURAL_RULES

__all__ = ["render_markdown"]

_INTRO = """\
# Secret rules

Generated from the rule table (`src/secloop/scan/secrets/rules/`) by
`python -m secloop.scan.secrets.docs`; do not edit by hand.

secloop reports a secret only when the value has the provider's documented shape, passes
the rule's filters (placeholders such as `xxxx`, `<token>` or `${VAR}`, stop-words,
entropy floor, structural checks), and is not covered by a more specific rule. Every
finding shows the secret masked (at most its first four characters). Suppress one with
an inline comment `secloop:ignore RULE-ID reason` or the ignore file.

Scope: files and directories; inside them, Kubernetes `Secret` manifests (base64 `data`
decoded, `stringData`) and `ConfigMap` data, `.env` files, Terraform state (`*.tfstate`)
and Jupyter notebooks (cell sources and text outputs, at the notebook's own line
numbers); and git history with `secloop secrets --git PATH` (every added line of every
commit, reported at its first commit). Lines longer than 64 KiB are scanned up to that
length; lock files, media, archives and files over 5 MiB are not read.

Two rules look at a file's structure rather than a value's shape (see the end of this
page): a committed `Secret` whose data looks random (SECRET-K8S-SECRET-MANIFEST, MEDIUM;
Trivy reports nothing there, but a Secret committed with live data is a leak whatever the
credential is), and a Terraform state's sensitive values (SECRET-TFSTATE-SENSITIVE-VALUE).
A value a provider rule recognises is reported under that rule instead.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _peers(rule: SecretRule) -> str:
    return ", ".join(f"{tool}: `{peer}`" for tool, peer in sorted(rule.peers.items())) or "-"


def _details(rule: SecretRule) -> list[str]:
    core = rule.to_rule()
    lines = [f"## {rule.id}", "", f"**{rule.title}** — severity {rule.severity.label}.", ""]
    lines.append(f"- Keywords (prefilter): {', '.join(f'`{k}`' for k in rule.keywords)}")
    if rule.entropy is not None:
        lines.append(f"- Entropy floor: {rule.entropy} bits per character")
    lines.append(f"- Peers: {_peers(rule)}")
    lines.append(f"- Remediation: {_cell(core.remediation)}")
    lines.extend(f"- Reference: <{ref}>" for ref in rule.references)
    lines.append("")
    return lines


def _structural_details(rule: Rule) -> list[str]:
    lines = [f"## {rule.id}", "", f"**{rule.title}** — severity {rule.severity.label}.", ""]
    lines += [_cell(rule.description), "", f"- Remediation: {_cell(rule.remediation)}"]
    lines.extend(f"- Reference: <{ref}>" for ref in rule.references)
    lines.append("")
    return lines


def render_markdown(
    rules: Sequence[SecretRule] = ALL_RULES, structural: Sequence[Rule] = STRUCTURAL_RULES
) -> str:
    """The whole page: an index table, then one section per rule, in table order, then
    the structural rules (format readers)."""
    total = len(rules) + len(structural)
    out = [_INTRO, f"{total} rules.", "", "| Rule | Title | Severity | Peers |"]
    out.append("|---|---|---|---|")
    for rule in rules:
        link = rule.id.lower()
        out.append(
            f"| [{rule.id}](#{link}) | {_cell(rule.title)} | {rule.severity.label} "
            f"| {_cell(_peers(rule))} |"
        )
    for core in structural:
        link = core.id.lower()
        out.append(f"| [{core.id}](#{link}) | {_cell(core.title)} | {core.severity.label} | - |")
    out.append("")
    for rule in rules:
        out.extend(_details(rule))
    for core in structural:
        out.extend(_structural_details(core))
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
