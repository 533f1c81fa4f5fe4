"""Render docs/rules/secrets.md from the rule table, so the page cannot drift from the code.

``python -m secloop.scan.secrets.docs > docs/rules/secrets.md`` regenerates it; a unit
test fails when the checked-in page differs from :func:`render_markdown`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from secloop.scan.secrets.model import SecretRule
from secloop.scan.secrets.rules import ALL_RULES

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

Scope of this release: files and directories. Lines longer than 64 KiB are scanned up to
that length; lock files, media, archives and files over 5 MiB are not read.
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


def render_markdown(rules: Sequence[SecretRule] = ALL_RULES) -> str:
    """The whole page: an index table, then one section per rule, in table order."""
    out = [_INTRO, f"{len(rules)} rules.", "", "| Rule | Title | Severity | Peers |"]
    out.append("|---|---|---|---|")
    for rule in rules:
        link = rule.id.lower()
        out.append(
            f"| [{rule.id}](#{link}) | {_cell(rule.title)} | {rule.severity.label} "
            f"| {_cell(_peers(rule))} |"
        )
    out.append("")
    for rule in rules:
        out.extend(_details(rule))
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
