"""Misconfiguration accuracy: agreement with the peers' test suites, and real-world baselines.

Run from the project root (writes docs/accuracy/misconfig.md and prints a summary)::

    .venv/bin/python -m bench.accuracy_misconfig

Measurements (../shared/corpus; each folder's SOURCE.md says how results are encoded):

1. checkov-kubernetes: per checkov check that a secloop check names as its peer,
   per-resource agreement over checkov's unit-test folders
   (``tests/unit/misconfig/checkov_agreement.py``).
2. kubescape-regolibrary: per Kubescape control that a secloop check maps to,
   per-object agreement over the control's rule test cases
   (``tests/unit/misconfig/kubescape_agreement.py``).
3. hadolint-cases: per hadolint rule mapped to a secloop rule, per-case agreement
   (``tests/unit/misconfig/hadolint_agreement.py``).
4. kubernetes-goat: every intentionally vulnerable item of its SOURCE.md table, and
   the secloop finding that reports it (:data:`GOAT_ITEMS`).
5. pod-security-admission: the PSS evaluator on Pod Security Admission's fixtures.
6. dockerfiles-official and microservices-demo: findings by rule and severity, with
   every HIGH and CRITICAL one listed for review.

Each disagreement is listed with the reason secloop's verdict is the right one (the
``*_EXCEPTIONS`` tables next to each harness); "held" figures count an explained
disagreement as agreement. tests/unit/misconfig/test_corpus.py fails when a check
falls under the target or a disagreement appears that no reason explains.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.unit.misconfig.checkov_agreement import CHECKOV_EXCEPTIONS, Agreement, agreements
from tests.unit.misconfig.hadolint_agreement import (
    HADOLINT_EXCEPTIONS,
    RuleAgreement,
    hadolint_agreements,
)
from tests.unit.misconfig.kubescape_agreement import (
    KUBESCAPE_EXCEPTIONS,
    ControlAgreement,
    kubescape_agreements,
)

from secloop.core.errors import Error
from secloop.core.finding import Finding
from secloop.core.result import Failed
from secloop.core.severity import Severity
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import FileContent, FileEntry, Scanner
from secloop.scan.misconfig import ComposeScanner, DockerfileScanner, KubernetesScanner
from secloop.scan.misconfig.documents import parse_yaml
from secloop.scan.misconfig.kubernetes.model import resources_of, workload_of
from secloop.scan.misconfig.kubernetes.pss import PssLevel, evaluate_pss
from secloop.scan.misconfig.scanner import scan_single_file
from secloop.scan.registry import default_registry

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT.parent / "shared" / "corpus"
PAGE = PROJECT / "docs" / "accuracy" / "misconfig.md"
TARGET = 0.95


# --- 1. checkov, per check --------------------------------------------------------


@dataclass(slots=True)
class CheckAgreement:
    """checkov's records of one check, added up (a check may have several folders)."""

    check_id: str
    rule_id: str
    agreed: int = 0
    total: int = 0
    unexplained_missing: int = 0
    disagreements: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.agreed / self.total if self.total else 1.0

    @property
    def held_ratio(self) -> float:
        return (self.total - self.unexplained_missing) / self.total if self.total else 1.0

    @property
    def unexplained(self) -> list[str]:
        return [d for d in self.disagreements if (self.check_id, d) not in CHECKOV_EXCEPTIONS]


def checkov_by_check(records: Iterable[Agreement]) -> list[CheckAgreement]:
    by_check: dict[str, CheckAgreement] = {}
    for record in records:
        result = by_check.setdefault(
            record.check_id, CheckAgreement(record.check_id, record.rule_id)
        )
        result.agreed += record.agreed
        result.total += record.total
        result.unexplained_missing += record.unexplained_missing
        result.disagreements += record.disagreements
    return sorted(by_check.values(), key=lambda r: int(r.check_id.rsplit("_", 1)[1]))


# --- 4. kubernetes-goat -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoatItem:
    """One row of the goat SOURCE.md table, and the finding that must report it.

    ``match`` is a regular expression searched in the finding's evidence and message;
    ``rule_id`` None means the file must yield no finding at all (a defensive policy).
    """

    file: str
    item: str
    rule_id: str | None
    match: str = ""
    min_severity: Severity = Severity.LOW


_DBS = "scenarios/docker-bench-security/deployment.yaml"
_SM = "scenarios/system-monitor/deployment.yaml"
_HC = "scenarios/health-check/deployment.yaml"
_HUNGER = "scenarios/hunger-check/deployment.yaml"
_KB = (
    "scenarios/kube-bench-security/master-job.yaml",
    "scenarios/kube-bench-security/node-job.yaml",
)
_PLAIN = (
    "scenarios/cache-store/deployment.yaml",
    "scenarios/batch-check/job.yaml",
    "scenarios/hidden-in-layers/deployment.yaml",
)
_INFRA = "infrastructure"
_HIGH = Severity.HIGH

GOAT_ITEMS: tuple[GoatItem, ...] = (
    GoatItem(_DBS, "hostPID: true", "SL-K8S-019", min_severity=_HIGH),
    GoatItem(_DBS, "hostIPC: true", "SL-K8S-020", min_severity=_HIGH),
    GoatItem(_DBS, "hostNetwork: true", "SL-K8S-021", min_severity=_HIGH),
    GoatItem(_DBS, "privileged: true", "SL-K8S-001", min_severity=_HIGH),
    GoatItem(_DBS, "capabilities.add: [AUDIT_CONTROL]", "SL-K8S-003", "AUDIT_CONTROL"),
    GoatItem(_DBS, "runAsUser: 0", "SL-K8S-010", "runAsUser: 0"),
    GoatItem(_DBS, "hostPath /var/run/docker.sock", "SL-K8S-024", "docker.sock", Severity.CRITICAL),
    GoatItem(_DBS, "hostPath /var/lib", "SL-K8S-023", "path: /var/lib$"),
    GoatItem(_DBS, "hostPath /etc", "SL-K8S-023", "path: /etc$", _HIGH),
    GoatItem(_DBS, "hostPath /usr/bin/containerd", "SL-K8S-023", "/usr/bin/containerd"),
    GoatItem(_DBS, "hostPath /usr/bin/runc", "SL-K8S-023", "/usr/bin/runc"),
    GoatItem(_SM, "hostPID: true", "SL-K8S-019", min_severity=_HIGH),
    GoatItem(_SM, "hostIPC: true", "SL-K8S-020", min_severity=_HIGH),
    GoatItem(_SM, "privileged: true", "SL-K8S-001", min_severity=_HIGH),
    GoatItem(_SM, "allowPrivilegeEscalation: true", "SL-K8S-002", "allowPrivilegeEscalation"),
    GoatItem(_SM, "hostPath / mounted", "SL-K8S-023", "path: /$", _HIGH),
    GoatItem(_SM, "Secret consumed via env secretKeyRef", "SL-K8S-036"),
    GoatItem(_HC, "privileged: true", "SL-K8S-001", min_severity=_HIGH),
    GoatItem(_HC, "hostPath containerd.sock", "SL-K8S-024", "containerd.sock", Severity.CRITICAL),
    GoatItem(
        "scenarios/insecure-rbac/setup.yaml",
        "superadmin bound to cluster-admin (ClusterRoleBinding)",
        "SL-K8S-047",
        "cluster-admin",
        _HIGH,
    ),
    GoatItem(_HUNGER, 'Role with resources: ["*"]', "SL-K8S-039", r"resources", _HIGH),
    GoatItem(_HUNGER, "Role reads Secrets", "SL-K8S-040", min_severity=_HIGH),
    GoatItem(_HUNGER, "Secret vaultapikey with a base64 API key", "SL-K8S-065", "vaultapikey"),
    GoatItem(_HUNGER, "Secret webhookapikey with a base64 API key", "SL-K8S-065", "webhookapikey"),
    GoatItem(_HUNGER, "no resource limits", "SL-K8S-028", "memory"),
    *(
        item
        for path in _KB
        for item in (
            GoatItem(path, "hostPID: true", "SL-K8S-019", min_severity=_HIGH),
            GoatItem(path, "hostPath /etc", "SL-K8S-023", "path: /etc"),
            GoatItem(path, "hostPath /var/lib/kubelet", "SL-K8S-023", "/var/lib/kubelet", _HIGH),
            GoatItem(path, ":latest image", "SL-K8S-032", ":latest"),
        )
    ),
    *(
        item
        for path in _PLAIN
        for item in (
            GoatItem(path, "no resource limits", "SL-K8S-028"),
            GoatItem(path, "no securityContext (runs as the image's user, root)", "SL-K8S-009"),
            GoatItem(path, "untagged image", "SL-K8S-032"),
        )
    ),
    GoatItem(
        "scenarios/kyverno-namespace-exec-block/kyverno-block-pod-exec-by-namespace.yaml",
        "defensive Kyverno ClusterPolicy: expected clean",
        None,
    ),
    GoatItem(
        f"{_INFRA}/helm-tiller/pwnchart/templates/clusterrole.yaml",
        "ClusterRole granting all verbs on all resources",
        "SL-K8S-039",
        r"verbs",
        _HIGH,
    ),
    *(
        GoatItem(f"{_INFRA}/{name}/Dockerfile", f"FROM {base}", "SL-DF-004", re.escape(base))
        for name, base in (
            ("batch-check", "alpine:latest"),
            ("build-code", "alpine:latest"),
            ("hidden-in-layers", "alpine:latest"),
            ("health-check", "golang:latest"),
        )
    ),
    *(
        item
        for name in (
            "batch-check",
            "build-code",
            "cache-store",
            "goat-home",
            "health-check",
            "helm-tiller",
            "hidden-in-layers",
            "hunger-check",
            "info-app",
            "internal-api",
            "metadata-db",
            "poor-registry",
            "system-monitor",
            "users-repo",
        )
        for item in (
            GoatItem(f"{_INFRA}/{name}/Dockerfile", "base image not pinned", "SL-DF-005"),
            GoatItem(f"{_INFRA}/{name}/Dockerfile", "no USER (root)", "SL-DF-002"),
        )
    ),
    GoatItem(
        f"{_INFRA}/hidden-in-layers/Dockerfile",
        "secret.txt ADDed, deleted in a later layer (stays in the image history)",
        "SL-DF-042",
        "secret.txt",
        _HIGH,
    ),
    GoatItem(f"{_INFRA}/build-code/Dockerfile", "unpinned pip packages", "SL-DF-026"),
)

#: The goat items only a rendering tool can reach; each is checked when the tool exists.
GOAT_CHART = "scenarios/metadata-db"


@dataclass(frozen=True, slots=True)
class GoatResult:
    item: GoatItem
    finding: Finding | None
    #: For a file expected clean: the findings it yielded (none when it is clean).
    unexpected: tuple[Finding, ...] = ()

    @property
    def found(self) -> bool:
        if self.item.rule_id is None:
            return not self.unexpected
        return self.finding is not None


def scan_file(root: Path, relative: str, scanners: Sequence[Scanner]) -> list[Finding]:
    """Findings of the file scanners that apply to ``root/relative`` (failures raise)."""
    data = (root / relative).read_bytes()
    content = FileContent(entry=FileEntry(path=relative, size=len(data)), data=data)
    found: list[Finding] = []
    for scanner in scanners:
        if scanner.applies_to(content.entry):
            found += [f for f in scan_single_file(scanner, content) if isinstance(f, Finding)]
    return found


def _matches(item: GoatItem, finding: Finding) -> bool:
    if finding.rule_id != item.rule_id or finding.severity < item.min_severity:
        return False
    if not item.match:
        return True
    texts = (finding.evidence or "", finding.message)
    return any(re.search(item.match, text, re.MULTILINE) for text in texts)


def goat_results(root: Path) -> list[GoatResult]:
    scanners = (KubernetesScanner(), DockerfileScanner())
    by_file: dict[str, list[Finding]] = {}
    results: list[GoatResult] = []
    for item in GOAT_ITEMS:
        if item.file not in by_file:
            by_file[item.file] = scan_file(root, item.file, scanners)
        findings = by_file[item.file]
        if item.rule_id is None:
            results.append(GoatResult(item, None, tuple(findings)))
        else:
            results.append(GoatResult(item, next((f for f in findings if _matches(item, f)), None)))
    return results


def goat_chart(root: Path) -> tuple[list[Finding], list[str]]:
    """The metadata-db Helm chart through the full scan (``render``): findings, or why not."""
    result = run_scan(
        ScanRequest(spec=str(root / GOAT_CHART), scanners=("render",)), default_registry()
    )
    reasons = [c.reason for c in result.coverage if isinstance(c, Failed) and c.by == "render"]
    return list(result.findings), reasons


# --- 5. Pod Security Admission fixtures --------------------------------------------


def pss_agreement(root: Path) -> tuple[Counter[str], Counter[str]]:
    """(agreed, total) per policy version, as tests/unit/misconfig/test_pss.py measures."""
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    agreed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for relative, record in expected.items():
        document = parse_yaml((root / relative).read_text(encoding="utf-8")).documents[0]
        workload = workload_of(next(resources_of(document)))
        assert workload is not None  # noqa: S101 - every fixture is a pod
        violations = evaluate_pss(workload, PssLevel(record["level"]), record["version"])
        if record["expect"] == "pass":
            ok = not violations
        else:
            ok = any(v.check == record["check"] for v in violations)
        total[record["version"]] += 1
        agreed[record["version"]] += ok
    return agreed, total


# --- 6. real-world baselines -------------------------------------------------------


@dataclass(slots=True)
class Baseline:
    name: str
    files: int = 0
    failed: int = 0
    counts: Counter[tuple[str, Severity]] = field(default_factory=Counter)
    severe: list[Finding] = field(default_factory=list)


def baseline(root: Path) -> Baseline:
    """Every file of ``root`` through the kubernetes, dockerfile and compose scanners."""
    result = Baseline(root.name)
    scanners = (KubernetesScanner(), DockerfileScanner(), ComposeScanner())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = str(path.relative_to(root))
        entry = FileEntry(path=relative, size=0)
        if not any(s.applies_to(entry) for s in scanners):
            continue
        result.files += 1
        try:
            findings = scan_file(root, relative, scanners)
        except Error:  # a file no document of which parses (unrendered Helm templates)
            result.failed += 1
            continue
        for finding in findings:
            result.counts[(finding.rule_id, finding.severity)] += 1
            if finding.severity >= Severity.HIGH:
                result.severe.append(finding)
    return result


# --- the page ----------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _reason(text: str) -> str:
    return text.replace("|", "\\|")


def _checkov_section(results: list[CheckAgreement]) -> list[str]:
    agreed, total = sum(r.agreed for r in results), sum(r.total for r in results)
    held = sum(r.total - r.unexplained_missing for r in results)
    lines = [
        "## checkov-kubernetes",
        "",
        f"{len(results)} checkov checks map to secloop checks; {agreed}/{total} resources "
        f"agree ({_pct(agreed / total)}), {_pct(held / total)} with the explained "
        "disagreements counted for secloop. Count-only records (no resource ids in "
        "checkov's test) compare the number of failed resources.",
        "",
        "| checkov | secloop | agree | resources | raw | held |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.check_id} | {r.rule_id} | {r.agreed} | {r.total} | {_pct(r.ratio)} | "
        f"{_pct(r.held_ratio)} |"
        for r in results
    ]
    lines += ["", "Disagreements:", ""]
    for result in results:
        for text in result.disagreements:
            reason = CHECKOV_EXCEPTIONS.get((result.check_id, text), "**not explained**")
            lines.append(f"- {result.check_id} ({result.rule_id}) `{text}`: {reason}")
    return lines


def _kubescape_section(results: list[ControlAgreement]) -> list[str]:
    compared = [r for r in results if r.total]
    agreed, total = sum(r.agreed for r in compared), sum(r.total for r in compared)
    held = sum(r.total - len(r.unexplained) for r in compared)
    lines = [
        "## kubescape-regolibrary",
        "",
        f"{len(results)} Kubescape controls map to secloop checks; {len(compared)} have "
        f"test cases with objects the checks judge. {agreed}/{total} objects agree "
        f"({_pct(agreed / total)}), {_pct(held / total)} with the explained disagreements "
        "counted for secloop. Cases with a `data.json` run with a non-default Kubescape "
        "configuration; secloop runs with its defaults.",
        "",
        "| control | secloop | Kubescape rules | agree | objects | raw | held |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        if not r.total:
            continue
        lines.append(
            f"| {r.control} | {', '.join(r.rule_ids)} | {', '.join(r.kubescape_rules)} | "
            f"{r.agreed} | {r.total} | {_pct(r.ratio)} | {_pct(r.held_ratio)} |"
        )
    uncompared = [r for r in results if not r.total]
    if uncompared:
        lines += ["", "Mapped controls without a comparable case:", ""]
        for r in uncompared:
            why = (
                "its rules judge Namespace labels (PSA applied), not the pods secloop checks"
                if r.kubescape_rules
                else "the control's rule has no test cases in the corpus"
            )
            lines.append(f"- {r.control} ({', '.join(r.rule_ids)}): {why}.")
    lines += ["", "Disagreements:", ""]
    for result in results:
        for rule, case, name, kubescape_failed in result.disagreements:
            reason = KUBESCAPE_EXCEPTIONS.get((rule, case, name), "**not explained**")
            verdict = "fails" if kubescape_failed else "passes"
            lines.append(
                f"- {result.control} `{rule}/{case}` {name}: Kubescape {verdict} it. {reason}"
            )
    return lines


def _hadolint_section(results: list[RuleAgreement]) -> list[str]:
    agreed, total = sum(r.agreed for r in results), sum(r.total for r in results)
    lines = [
        "## hadolint-cases",
        "",
        f"{len(results)} hadolint rules map to secloop rules; {agreed}/{total} cases agree "
        f"({_pct(agreed / total)}). Cases that need a non-default hadolint configuration "
        "are not compared (secloop has no equivalent setting).",
        "",
        "| hadolint | secloop | agree | cases | raw | held |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.hadolint} | {r.rule_id} | {r.agreed} | {r.total} | {_pct(r.ratio)} | "
        f"{_pct(r.held_ratio)} |"
        for r in results
    ]
    lines += ["", "Disagreements:", ""]
    for result in results:
        for text in result.disagreements:
            reason = HADOLINT_EXCEPTIONS.get(text.split(":")[0], "**not explained**")
            lines.append(f"- {result.hadolint} ({result.rule_id}) `{text}`: {reason}")
    return lines


def _goat_section(results: list[GoatResult], chart: tuple[list[Finding], list[str]]) -> list[str]:
    found = sum(r.found for r in results)
    lines = [
        "## kubernetes-goat",
        "",
        f"{found}/{len(results)} items of the SOURCE.md table found, each by the finding "
        "below (file scanners: `kubernetes`, `dockerfile`).",
        "",
        "| file | item | secloop finding |",
        "|---|---|---|",
    ]
    for result in results:
        item = result.item
        if item.rule_id is None:
            ours = "no finding (clean)" if result.found else f"{len(result.unexpected)} findings"
        elif result.finding is None:
            ours = f"**not found** ({item.rule_id})"
        else:
            f = result.finding
            ours = f"{f.rule_id} {f.severity.name} line {f.location.start_line}: {f.message}"
        lines.append(f"| `{item.file}` | {_reason(item.item)} | {_reason(ours)} |")
    findings, reasons = chart
    lines += ["", f"`{GOAT_CHART}` (Helm chart, through the `render` scanner): "]
    if reasons:
        lines[-1] += "not rendered here: " + "; ".join(reasons) + ". The coverage manifest "
        lines[-1] += "records it, and `--strict-render` fails the scan."
    else:
        rules = ", ".join(sorted({f.rule_id for f in findings}))
        lines[-1] += f"rendered; {len(findings)} findings ({rules})."
    return lines


def _pss_section(agreed: Counter[str], total: Counter[str]) -> list[str]:
    every = sum(total.values())
    latest = max(total, key=lambda v: int(v.removeprefix("v1.")))
    return [
        "## Pod Security Standards",
        "",
        f"pod-security-admission fixtures: {sum(agreed.values())}/{every} agree "
        f"({_pct(sum(agreed.values()) / every)}) over {len(total)} policy versions "
        f"(v1.0 to {latest}); {latest} alone {agreed[latest]}/{total[latest]}. A fail "
        "fixture agrees only when the same control (check ID) fails.",
    ]


def _baseline_section(result: Baseline) -> list[str]:
    by_rule: dict[str, Counter[Severity]] = defaultdict(Counter)
    for (rule, severity), count in result.counts.items():
        by_rule[rule][severity] += count
    total = sum(result.counts.values())
    lines = [
        f"## {result.name}",
        "",
        f"{result.files} files scanned ({result.failed} not parseable, e.g. unrendered Helm "
        f"templates: recorded as failed input), {total} findings.",
        "",
        "| rule | LOW | MEDIUM | HIGH | CRITICAL |",
        "|---|---:|---:|---:|---:|",
    ]
    for rule in sorted(by_rule):
        counts = by_rule[rule]
        cells = (
            counts[s] for s in (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
        )
        lines.append(f"| {rule} | " + " | ".join(str(c) if c else "" for c in cells) + " |")
    lines.append("")
    if result.severe:
        lines.append("HIGH and CRITICAL findings (each reviewed):")
        lines += [
            f"- {f.severity.name} {f.rule_id} `{f.location.path}:{f.location.start_line}`: "
            f"{f.message}"
            for f in result.severe
        ]
    else:
        lines.append("No HIGH or CRITICAL finding.")
    if result.name in REVIEW_NOTES:
        lines += ["", REVIEW_NOTES[result.name]]
    return lines


#: What the review of each baseline found and changed.
REVIEW_NOTES = {
    "microservices-demo": "Reviewed and fixed: `GOOGLE_API_KEY: GOOGLE_API_KEY_VAL` in the "
    "shopping-assistant component was reported HIGH as a literal credential (SL-K8S-035); "
    "a value that spells its own variable name is a fill-in marker for a deploy step, not "
    "a secret. The unparseable files are the unrendered Helm chart's templates.",
    "dockerfiles-official": "Reviewed: no rule at HIGH or CRITICAL fires. The MEDIUM "
    'SL-DF-019 findings are the golang images\' `chmod -R 1777 "$GOPATH"`: world-writable '
    "(with the sticky bit) by design so that any user can build; reported, not hidden.",
}


def render(
    *,
    checkov: list[CheckAgreement],
    kubescape: list[ControlAgreement],
    hadolint: list[RuleAgreement],
    goat: list[GoatResult],
    chart: tuple[list[Finding], list[str]],
    pss: tuple[Counter[str], Counter[str]],
    baselines: Sequence[Baseline],
) -> str:
    lines = [
        "# Misconfiguration: accuracy",
        "",
        "<!-- Generated by bench/accuracy_misconfig.py: do not edit by hand. -->",
        "Generated by `bench/accuracy_misconfig.py`; regenerate from the project root with",
        "`.venv/bin/python -m bench.accuracy_misconfig` (it rewrites this page).",
        "tests/unit/misconfig/test_corpus.py holds the figures to the targets.",
        "",
        f"Target (issue 3): at least {TARGET:.0%} agreement on every peer check that maps to "
        "one of secloop's, every disagreement explained; every kubernetes-goat item found; "
        "no HIGH or CRITICAL finding a reviewer would reject on the real-world baselines. "
        "*Raw* counts every difference against secloop; *held* counts a difference whose "
        "reason (listed) shows secloop's verdict is the right one as agreement.",
        "",
    ]
    sections = (
        _checkov_section(checkov),
        _kubescape_section(kubescape),
        _hadolint_section(hadolint),
        _goat_section(goat, chart),
        _pss_section(*pss),
        *(_baseline_section(b) for b in baselines),
    )
    for section in sections:
        lines += [*section, ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    checkov = checkov_by_check(agreements(CORPUS / "checkov-kubernetes"))
    kubescape = kubescape_agreements(CORPUS / "kubescape-regolibrary")
    hadolint = hadolint_agreements(CORPUS / "hadolint-cases")
    goat = goat_results(CORPUS / "kubernetes-goat")
    chart = goat_chart(CORPUS / "kubernetes-goat")
    pss = pss_agreement(CORPUS / "pod-security-admission")
    baselines = [baseline(CORPUS / name) for name in ("dockerfiles-official", "microservices-demo")]
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    page = render(
        checkov=checkov,
        kubescape=kubescape,
        hadolint=hadolint,
        goat=goat,
        chart=chart,
        pss=pss,
        baselines=baselines,
    )
    PAGE.write_text(page, "utf-8")
    low = [r.check_id for r in checkov if r.held_ratio < TARGET]
    low += [r.control for r in kubescape if r.held_ratio < TARGET]
    low += [r.hadolint for r in hadolint if r.held_ratio < TARGET]
    missed = [f"{r.item.file}: {r.item.item}" for r in goat if not r.found]
    print(f"wrote {PAGE.relative_to(PROJECT)}")
    print(f"under {TARGET:.0%} held: {low or 'none'}; goat items missed: {missed or 'none'}")
    return 1 if low or missed else 0


if __name__ == "__main__":
    sys.exit(main())
