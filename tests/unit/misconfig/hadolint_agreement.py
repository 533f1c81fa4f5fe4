"""Agreement with hadolint's rule specs (../shared/corpus/hadolint-cases), per mapped rule.

Each case is one Dockerfile expected to trigger (``finding``) or not (``no_finding``)
one hadolint rule. Cases that need a non-default hadolint configuration are skipped:
secloop has no equivalent of those settings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from secloop.scan.misconfig.dockerfile import DOCKERFILE_CHECKS
from secloop.scan.misconfig.dockerfile.parser import parse_dockerfile

#: Case file -> why secloop's verdict is the right one.
HADOLINT_EXCEPTIONS: Mapping[str, str] = {
    "cases/DL3002/DL3002-008-finding.Dockerfile": "root is set only in stage `base`, which "
    "the final stage (`FROM scratch`, `USER foo`) does not build on: the image runs as foo.",
    "cases/DL3025/DL3025-005-finding.Dockerfile": "the shell form is `HEALTHCHECK CMD`; "
    "SL-DF-037 is about PID 1 not forwarding signals, which a health check process never is.",
}


@dataclass(slots=True)
class RuleAgreement:
    hadolint: str
    rule_id: str
    agreed: int = 0
    total: int = 0
    disagreements: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.agreed / self.total if self.total else 1.0

    @property
    def unexplained(self) -> list[str]:
        return [d for d in self.disagreements if d.split(":")[0] not in HADOLINT_EXCEPTIONS]

    @property
    def held_ratio(self) -> float:
        """Agreement once each explained disagreement counts as secloop being right."""
        return (self.total - len(self.unexplained)) / self.total if self.total else 1.0


def hadolint_agreements(corpus: Path) -> list[RuleAgreement]:
    by_peer = {c.rule.peers["hadolint"]: c for c in DOCKERFILE_CHECKS if "hadolint" in c.rule.peers}
    results: dict[str, RuleAgreement] = {}
    cases: dict[str, list[dict[str, object]]] = defaultdict(list)
    for case in json.loads((corpus / "cases.json").read_text()):
        if case["rule"] in by_peer and not case.get("config"):
            cases[str(case["rule"])].append(case)
    for code, rule_cases in sorted(cases.items()):
        check = by_peer[code]
        result = results.setdefault(code, RuleAgreement(code, check.rule.id))
        for case in rule_cases:
            text = (corpus / str(case["file"])).read_text(encoding="utf-8")
            fired = any(True for _ in check.evaluate(parse_dockerfile(text)))
            result.total += 1
            if fired == (case["expect"] == "finding"):
                result.agreed += 1
            else:
                result.disagreements.append(f"{case['file']}: expected {case['expect']}")
    return list(results.values())
