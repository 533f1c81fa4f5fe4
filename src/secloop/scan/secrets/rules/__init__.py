"""Every secret rule shipped with secloop, in one explicit table.

Rules live in one module per provider family; this table is the only place that
lists them, so a rule that is not here does not exist (nothing registers itself
by being imported).
"""

from __future__ import annotations

from secloop.scan.secrets.model import SecretRule
from secloop.scan.secrets.rules import chat, cloud, devops, generic, keys, saas, vcs

__all__ = ["ALL_RULES", "rules_by_id"]

ALL_RULES: tuple[SecretRule, ...] = (
    *cloud.RULES,
    *vcs.RULES,
    *chat.RULES,
    *saas.RULES,
    *devops.RULES,
    *keys.RULES,
    *generic.RULES,
)


def rules_by_id() -> dict[str, SecretRule]:
    """The table keyed by rule id; a duplicate id is a programming error."""
    table: dict[str, SecretRule] = {}
    for rule in ALL_RULES:
        if rule.id in table:
            raise ValueError(f"duplicate secret rule id {rule.id}")
        table[rule.id] = rule
    return table
