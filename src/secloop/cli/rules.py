"""``secloop rules list`` and ``secloop rules show ID``: the catalogue of built-in rules.

Every rule of every scanner in the default registry, with the metadata its
documentation page is generated from: severity, description, remediation, references,
peer tool IDs (Checkov, Kubescape, Trivy, hadolint, a Pod Security Standards control)
and framework mappings.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from secloop.core.errors import UsageError
from secloop.core.rule import Rule

__all__ = ["CatalogueEntry", "catalogue", "rules_list_command", "rules_show_command"]

_FORMATS = ("table", "json")
_TITLE_WIDTH = 70


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    rule: Rule
    scanners: tuple[str, ...]  # a rule shared by two scanners (secrets in deleted layers)


def catalogue() -> list[CatalogueEntry]:
    """Every built-in rule once, in registry order, with the scanners that report it."""
    from secloop.policy.licenses import LicensePolicy
    from secloop.scan.misconfig.kubernetes.pss import PssLevel, PssVersion
    from secloop.scan.misconfig.pss_scan import PssSettings
    from secloop.scan.registry import default_registry

    # Optional scanners and checks configured (any values do), so their rules are listed.
    registry = default_registry(
        pss=PssSettings(level=PssLevel.RESTRICTED, version=PssVersion.parse("latest")),
        licenses=LicensePolicy(deny=("AGPL-3.0-only",), report_unknown=True),
        allowed_registries=("registry.example.com",),
    )
    rules: dict[str, Rule] = {}
    scanners: dict[str, list[str]] = {}
    for scanner in registry.scanners:
        for rule in scanner.rules():
            rules.setdefault(rule.id, rule)
            scanners.setdefault(rule.id, []).append(scanner.name)
    return [CatalogueEntry(rule, tuple(scanners[rule_id])) for rule_id, rule in rules.items()]


def _select(entries: Sequence[CatalogueEntry], scanner: str | None) -> list[CatalogueEntry]:
    if scanner is None:
        return list(entries)
    names = sorted({name for entry in entries for name in entry.scanners})
    if scanner.lower() not in names:
        raise UsageError(f"unknown scanner {scanner!r}; scanners with rules: {', '.join(names)}")
    return [entry for entry in entries if scanner.lower() in entry.scanners]


def _pss_control(rule: Rule) -> str | None:
    """The Pod Security Standards control a rule maps to, as ``level:control``."""
    return rule.peers.get("pss")


def _as_json(entry: CatalogueEntry) -> dict[str, Any]:
    rule = entry.rule
    return {
        "id": rule.id,
        "scanners": list(entry.scanners),
        "kind": rule.kind.value,
        "severity": rule.severity.label,
        "title": rule.title,
        "description": rule.description,
        "remediation": rule.remediation,
        "references": list(rule.references),
        "peers": dict(sorted(rule.peers.items())),
        "frameworks": {name: list(ids) for name, ids in sorted(rule.frameworks.items())},
        "pss_control": _pss_control(rule),
        "tags": list(rule.tags),
        "root_cause": rule.root_cause.value if rule.root_cause else None,
    }


def _table(entries: Sequence[CatalogueEntry]) -> str:
    id_width = max((len(e.rule.id) for e in entries), default=2)
    scanner_width = max((len(",".join(e.scanners)) for e in entries), default=7)
    header = f"{'ID':<{id_width}}  {'SEVERITY':<8}  {'SCANNER':<{scanner_width}}  TITLE"
    lines = [header]
    for entry in entries:
        title = entry.rule.title
        if len(title) > _TITLE_WIDTH:
            title = title[: _TITLE_WIDTH - 1] + "…"
        scanners = ",".join(entry.scanners)
        lines.append(
            f"{entry.rule.id:<{id_width}}  {entry.rule.severity.label:<8}  "
            f"{scanners:<{scanner_width}}  {title}"
        )
    lines.append(f"{len(entries)} rules")
    return "\n".join(lines)


def _find(entries: Sequence[CatalogueEntry], rule_id: str) -> CatalogueEntry:
    by_id = {entry.rule.id.lower(): entry for entry in entries}
    found = by_id.get(rule_id.strip().lower())
    if found is not None:
        return found
    close = difflib.get_close_matches(rule_id.upper(), [e.rule.id for e in entries], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `secloop rules list`"
    raise UsageError(f"unknown rule {rule_id!r}{hint}")


def _labelled(label: str, values: Sequence[str]) -> list[str]:
    return [f"{label}:", *(f"  {value}" for value in values)] if values else []


def _details(entry: CatalogueEntry) -> str:
    rule = entry.rule
    lines = [
        f"{rule.id}: {rule.title}",
        f"Severity:    {rule.severity.label}",
        f"Scanner:     {', '.join(entry.scanners)}",
        f"Kind:        {rule.kind.value}",
    ]
    pss = _pss_control(rule)
    if pss is not None:
        lines.append(f"PSS control: {pss}")
    if rule.root_cause is not None:  # shared with rules of other families (ADR 6)
        cause = rule.root_cause
        lines.append(f"Root cause:  {cause.value} ({cause.description})")
    lines += ["", rule.description or "(no description)", ""]
    if rule.remediation:
        lines += [f"Remediation: {rule.remediation}", ""]
    lines += _labelled("Peers", [f"{t}: {i}" for t, i in sorted(rule.peers.items())])
    frameworks = [f"{name}: {', '.join(ids)}" for name, ids in sorted(rule.frameworks.items())]
    lines += _labelled("Frameworks", frameworks)
    lines += _labelled("References", list(rule.references))
    return "\n".join(lines).rstrip()


@click.command("list")
@click.option("--scanner", metavar="NAME", help="Only this scanner's rules (e.g. kubernetes).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="table", show_default=True)
def rules_list_command(scanner: str | None, fmt: str) -> None:
    """List every built-in rule: ID, severity, scanner and title."""
    entries = _select(catalogue(), scanner)
    if fmt == "json":
        click.echo(json.dumps([_as_json(entry) for entry in entries], indent=2))
    else:
        click.echo(_table(entries))


@click.command("show")
@click.argument("rule_id", metavar="ID")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def rules_show_command(rule_id: str, fmt: str) -> None:
    """Show one rule: description, remediation, references, peer IDs, frameworks."""
    entry = _find(catalogue(), rule_id)
    if fmt == "json":
        click.echo(json.dumps(_as_json(entry), indent=2))
    else:
        click.echo(_details(entry))
