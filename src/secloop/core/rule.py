"""Rule metadata: what a finding's ``rule_id`` means, for reports and documentation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from secloop.core.finding import FindingKind
from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A stable rule identity with its documentation.

    ``peers`` maps a peer tool to its equivalent rule id (``{"checkov": "CKV_K8S_16",
    "pss": "baseline:privileged"}``); ``frameworks`` maps a framework to control ids
    (``{"cis-kubernetes": ("5.2.1",)}``). Users migrate and benchmarks compare by them.
    ``root_cause`` names the mistake this rule shares with rules of other families
    (a Dockerfile, an image, a manifest), so their findings can be linked.
    """

    id: str
    kind: FindingKind
    title: str
    severity: Severity
    description: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    peers: Mapping[str, str] = field(default_factory=dict)
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    help_uri: str | None = None
    tags: tuple[str, ...] = ()
    root_cause: RootCause | None = None  # shared with rules of other families (ADR 6)
