"""Regenerate (or check) the golden report files in tests/golden/.

Every report format is rendered from one fixed, realistic :class:`ScanResult` built
here with a fixed clock, so that the files only change when a formatter changes. CI
runs ``python scripts/golden.py --check``: it exits 1 and lists the drifted files,
writing nothing; a reviewer then reads the regenerated diff like any other change.

Usage::

    python scripts/golden.py          # rewrite tests/golden/sample.*
    python scripts/golden.py --check  # exit 1 when a file differs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from secloop.core.finding import (
    BaselineState,
    Finding,
    FindingKind,
    Suppression,
    SuppressionKind,
    VulnerabilityDetail,
)
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import KubernetesResource, LayerRef, Location
from secloop.core.package import Package, PackageLocation
from secloop.core.result import (
    Coverage,
    Failed,
    OperatingSystem,
    Scanned,
    ScanResult,
    Skipped,
    SkipReason,
)
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.registry import formatter_for
from secloop.policy.links import link_root_causes

__all__ = [
    "GOLDEN_DIR",
    "GOLDEN_FILES",
    "SAMPLE_CONTEXT",
    "build_sample_result",
    "build_sbom_sample_result",
    "main",
    "render_all",
]

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"
GOLDEN_FILES: dict[OutputFormat, str] = {
    OutputFormat.TABLE: "sample.table.txt",
    OutputFormat.JSON: "sample.json",
    OutputFormat.SARIF: "sample.sarif.json",
    OutputFormat.JUNIT: "sample.junit.xml",
    OutputFormat.HTML: "sample.html",
    OutputFormat.CYCLONEDX: "sample.cdx.json",
    OutputFormat.SPDX: "sample.spdx.json",
}
#: SBOM formats describe the inventory, so their sample also has packages and an OS.
_SBOM_FORMATS = frozenset({OutputFormat.CYCLONEDX, OutputFormat.SPDX})
SAMPLE_CONTEXT = ReportContext(fail_on=Severity.HIGH, color=False, width=120)

_STARTED = datetime(2025, 1, 15, 9, 30, 0, tzinfo=UTC)
_FINISHED = datetime(2025, 1, 15, 9, 30, 12, 500000, tzinfo=UTC)
_DEPLOYMENT = KubernetesResource(
    api_version="apps/v1", kind="Deployment", name="web", namespace="prod"
)
_LAYER = LayerRef(
    diff_id="sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
    index=2,
    created_by="RUN pip install -r requirements.txt",
)


def _rules() -> dict[str, Rule]:
    """A catalogue with peers and frameworks; vulnerability rules are left to synthesis."""
    return {rule.id: rule for rule in (*_kubernetes_rules(), *_other_rules())}


def _kubernetes_rules() -> tuple[Rule, ...]:
    return (
        Rule(
            id="SL-K8S-001",
            kind=FindingKind.MISCONFIGURATION,
            title="Privileged container",
            severity=Severity.CRITICAL,
            description="A privileged container has every capability of the host's root user.",
            remediation="Remove `securityContext.privileged` or set it to `false`.",
            references=("https://kubernetes.io/docs/concepts/security/pod-security-standards/",),
            peers={
                "checkov": "CKV_K8S_16",
                "kubescape": "C-0057",
                "trivy": "KSV017",
                "pss": "baseline:privileged",
            },
            frameworks={"cis-kubernetes": ("5.2.1",), "nsa-cisa": ("pod-security",)},
            help_uri="https://secloop.dev/rules/SL-K8S-001",
            tags=("kubernetes", "pod-security"),
        ),
        Rule(
            id="SL-K8S-002",
            kind=FindingKind.MISCONFIGURATION,
            title="Container may run as root",
            severity=Severity.MEDIUM,
            description="Without `runAsNonRoot: true` the image decides the user, often root.",
            remediation="Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser`.",
            peers={"checkov": "CKV_K8S_23", "trivy": "KSV012", "pss": "restricted:runAsNonRoot"},
            frameworks={"cis-kubernetes": ("5.2.6",)},
            tags=("kubernetes",),
            root_cause=RootCause.RUNS_AS_ROOT,
        ),
        Rule(
            id="SL-K8S-003",
            kind=FindingKind.MISCONFIGURATION,
            title="Host network namespace shared",
            severity=Severity.HIGH,
            description="A pod on the host network can reach every local service of the node.",
            remediation="Remove `hostNetwork: true`.",
            peers={"kubescape": "C-0041", "pss": "baseline:hostNamespaces"},
            frameworks={"mitre-attack": ("T1610",)},
        ),
    )


def _other_rules() -> tuple[Rule, ...]:
    return (
        Rule(
            id="SL-DF-001",
            kind=FindingKind.MISCONFIGURATION,
            title="Image runs as root",
            severity=Severity.HIGH,
            description="The last USER instruction is missing or names root.",
            remediation="Add `USER 10001` after the last `RUN` instruction.",
            peers={"hadolint": "DL3002", "trivy": "DS002"},
            tags=("dockerfile",),
            root_cause=RootCause.RUNS_AS_ROOT,
        ),
        Rule(
            id="SL-SECRET-AWS-KEY",
            kind=FindingKind.SECRET,
            title="AWS access key id",
            severity=Severity.CRITICAL,
            description="An AWS access key id is committed in the source.",
            remediation="Revoke the key in IAM, then load credentials from the environment.",
            references=(
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
            ),
            peers={"gitleaks": "aws-access-token"},
        ),
    )


def _misconfig_findings() -> list[Finding]:
    return [*_kubernetes_findings(), *_dockerfile_findings()]


def _kubernetes_findings() -> list[Finding]:
    return [
        Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id="SL-K8S-001",
            severity=Severity.CRITICAL,
            title="Privileged container",
            message='Container "web" sets securityContext.privileged: true & runs as host root.',
            location=Location(
                path="deploy/k8s/deployment.yaml", start_line=21, end_line=22, resource=_DEPLOYMENT
            ),
            scanner="misconfig",
            anchor="spec.template.spec.containers[web].securityContext.privileged",
            evidence="privileged: true",
            remediation="Remove `securityContext.privileged` or set it to `false`.",
            frameworks={"cis-kubernetes": ("5.2.1",)},
        ),
        Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id="SL-K8S-002",
            severity=Severity.MEDIUM,
            title="Container may run as root",
            message='Container "web" does not set runAsNonRoot.',
            location=Location(
                path="deploy/k8s/deployment.yaml", start_line=18, resource=_DEPLOYMENT
            ),
            scanner="misconfig",
            anchor="spec.template.spec.containers[web].securityContext.runAsNonRoot",
            image="ghcr.io/acme/webapp:1.4",
        ),
        Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id="SL-K8S-003",
            severity=Severity.HIGH,
            title="Host network namespace shared",
            message='Pod "debug" in namespace kube-system uses the host network.',
            location=Location(
                resource=KubernetesResource(
                    api_version="v1", kind="Pod", name="debug", namespace="kube-system"
                )
            ),
            scanner="misconfig",
            anchor="spec.hostNetwork",
        ),
    ]


def _dockerfile_findings() -> list[Finding]:
    return [
        Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id="SL-DF-001",
            severity=Severity.HIGH,
            title="Image runs as root",
            message="No USER instruction: the container runs as root.",
            location=Location(path="Dockerfile", start_line=1),
            scanner="misconfig",
            anchor="USER",
            baseline_state=BaselineState.UNCHANGED,
        ),
        Finding(
            kind=FindingKind.MISCONFIGURATION,
            rule_id="SL-DF-002",
            severity=Severity.LOW,
            title="Base image uses the latest tag",
            message="FROM python:latest is not reproducible.",
            location=Location(path="Dockerfile", start_line=1, start_column=6, end_column=19),
            scanner="misconfig",
            evidence="FROM python:latest",
            suppression=Suppression(
                kind=SuppressionKind.INLINE,
                reason="pinned by digest in the release pipeline",
                source="Dockerfile:1",
            ),
        ),
    ]


def _secret_and_code_findings() -> list[Finding]:
    return [
        Finding(
            kind=FindingKind.SECRET,
            rule_id="SL-SECRET-AWS-KEY",
            severity=Severity.CRITICAL,
            title="AWS access key id",
            message="An AWS access key id is hard-coded.",
            location=Location(
                path="config/settings.py", start_line=12, start_column=15, end_column=35
            ),
            scanner="secrets",
            anchor="sha256:3a1f",
            evidence='AWS_ACCESS_KEY_ID = "AKIA************MPLE"',
            remediation="Revoke the key in IAM, then load credentials from the environment.",
            baseline_state=BaselineState.NEW,
        ),
        Finding(
            kind=FindingKind.SECRET,
            rule_id="SL-SECRET-GENERIC",
            severity=Severity.HIGH,
            title="Generic password assignment",
            message="A password-like value is assigned in an env file.",
            location=Location(path="tests/fixtures/fake.env", start_line=3),
            scanner="secrets",
            anchor="sha256:77c2",
            evidence="DB_PASSWORD=********",
            suppression=Suppression(
                kind=SuppressionKind.EXTERNAL,
                reason="test fixture, not a real credential",
                source=".secloopignore.yaml#3",
                expires=date(2025, 6, 30),
            ),
        ),
        Finding(
            kind=FindingKind.CODE,
            rule_id="SL-PY-EXEC",
            severity=Severity.LOW,
            title="Use of exec()",
            message="exec() runs text as code; <input> from a request would be injection.",
            location=Location(
                path="src/app/views.py", start_line=40, end_line=40, start_column=5, end_column=25
            ),
            scanner="bandit",
            anchor="exec",
            references=("https://bandit.readthedocs.io/en/latest/plugins/b102_exec_used.html",),
        ),
    ]


def _package_findings() -> list[Finding]:
    requests = Package.create(
        name="requests",
        version="2.31.0",
        ecosystem="PyPI",
        locations=(PackageLocation(path="requirements.txt", line=3),),
        license="Apache-2.0",
        direct=True,
    )
    urllib3 = Package.create(
        name="urllib3",
        version="1.26.16",
        ecosystem="PyPI",
        locations=(PackageLocation(path="usr/lib/python3/dist-packages", layer=_LAYER),),
        license="MIT",
    )
    leftpad = Package.create(
        name="left-pad", version="1.3.0", ecosystem="npm", license="WTFPL OR MIT-ish", dev=True
    )
    return [
        _vulnerability(
            requests,
            advisory="GHSA-9wx4-h78v-vm56",
            aliases=("CVE-2024-35195",),
            severity=Severity.MEDIUM,
            title="requests Session keeps verify=False for later requests to the same host",
            fixed=("2.32.0",),
            location=Location(path="requirements.txt", start_line=3),
        ),
        _vulnerability(
            urllib3,
            advisory="GHSA-v845-jxx5-vc9f",
            aliases=("CVE-2023-43804",),
            severity=Severity.HIGH,
            title="urllib3 does not remove the Cookie header on cross-origin redirects",
            fixed=("1.26.17", "2.0.6"),
            location=Location(
                path="usr/lib/python3/dist-packages/urllib3-1.26.16.dist-info/METADATA",
                layer=_LAYER,
            ),
        ),
        Finding(
            kind=FindingKind.LICENSE,
            rule_id="SL-LICENSE-UNKNOWN",
            severity=Severity.UNKNOWN,
            title="Package without a recognised license",
            message="left-pad 1.3.0 declares the license 'WTFPL OR MIT-ish', which is unknown.",
            scanner="license",
            package=leftpad,
            anchor=leftpad.purl,
        ),
    ]


def _vulnerability(
    package: Package,
    *,
    advisory: str,
    aliases: tuple[str, ...],
    severity: Severity,
    title: str,
    fixed: tuple[str, ...],
    location: Location,
) -> Finding:
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=advisory,
        severity=severity,
        title=title,
        message=f"{package.name} {package.version} is affected by {advisory}.",
        location=location,
        scanner="vulnerability",
        anchor=f"{package.purl}#{advisory}",
        remediation=f"Upgrade {package.name} to {fixed[0]} or later.",
        references=(f"https://osv.dev/vulnerability/{advisory}",),
        package=package,
        vulnerability=VulnerabilityDetail(
            advisory_id=advisory,
            aliases=aliases,
            installed_version=package.version,
            fixed_versions=fixed,
            cvss_vectors=("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N",),
        ),
    )


def _coverage() -> tuple[Coverage, ...]:
    """Scanned inputs, one Skipped per SkipReason, and two Failed inputs."""
    scanned: list[Coverage] = [
        Scanned(path="Dockerfile", by=("dockerfile", "misconfig", "secrets")),
        Scanned(path="config/settings.py", by=("secrets", "bandit")),
        Scanned(path="deploy/k8s/deployment.yaml", by=("kubernetes", "misconfig", "secrets")),
        Scanned(path="package-lock.json", by=("npm", "license")),
        Scanned(path="requirements.txt", by=("python", "vulnerability")),
        Scanned(path="src/app/views.py", by=("secrets", "bandit")),
        Scanned(path="tests/fixtures/fake.env", by=("secrets",)),
    ]
    details = {
        SkipReason.IGNORED: ("node_modules/left-pad/index.js", "matched .gitignore"),
        SkipReason.TOO_LARGE: ("data/dump.sql", "52428800 bytes > limit 10485760"),
        SkipReason.BINARY: ("static/logo.png", ""),
        SkipReason.SYMLINK: ("current", "-> releases/v2"),
        SkipReason.SYMLINK_OUTSIDE: ("etc-passwd", "-> /etc/passwd"),
        SkipReason.BROKEN_SYMLINK: ("old-config", "-> config/old.yaml"),
        SkipReason.SPECIAL_FILE: ("run/app.sock", "socket"),
        SkipReason.LIMIT_REACHED: ("vendor/huge", "entry limit 100000 reached"),
    }
    skipped = [
        Skipped(path=path, reason=reason, detail=detail)
        for reason, (path, detail) in details.items()
    ]
    failed: list[Coverage] = [
        Failed(
            path="deploy/k8s/broken.yaml",
            reason="YAML error at line 4: bad indentation",
            by="kubernetes",
        ),
        Failed(path="legacy/settings.ini", reason="not valid UTF-8 at byte 1032", by="secrets"),
    ]
    return (*scanned, *skipped, *failed)


def _webapp_image(finding: Finding) -> str | None:
    """Root-cause links of the sample: the Deployment runs the image of the Dockerfile."""
    return "webapp" if finding.rule_id in {"SL-DF-001", "SL-K8S-002"} else None


def build_sample_result() -> ScanResult:
    """The fixed scan result every golden file is rendered from."""
    findings = [*_misconfig_findings(), *_secret_and_code_findings(), *_package_findings()]
    return ScanResult(
        target=Target(TargetKind.DIRECTORY, "examples/webapp"),
        started_at=_STARTED,
        finished_at=_FINISHED,
        tool_version="0.1.0",
        scanners=("bandit", "license", "misconfig", "secrets", "vulnerability"),
        findings=tuple(link_root_causes(assign_fingerprints(findings), _rules(), _webapp_image)),
        rules=_rules(),
        coverage=_coverage(),
        files_without_scanner=3,
        timings={"walk": 0.412, "scan": 11.9},
        versions={"vulndb": "2025-01-15T06:00:00Z", "rules": "2025.01.1"},
        warnings=(
            "src/app/views.py:12: 'secloop:ignore SL-PY-EXEC' has no reason and was not applied",
            "rule SL-OLD-001 in .secloopignore.yaml does not exist",
        ),
    )


def build_sbom_sample_result() -> ScanResult:
    """The sample with an inventory: the findings' packages, one more, and the OS."""
    sample = build_sample_result()
    found = tuple(f.package for f in sample.findings if f.package is not None)
    extra = Package.create(
        name="github.com/gorilla/mux",
        version="v1.8.0",
        ecosystem="Go",
        locations=(
            PackageLocation(path="go.mod", line=5),
            PackageLocation(path="tools/go.mod", line=7),
        ),
        license="BSD-3-Clause",
        direct=False,
    )
    system = OperatingSystem(family="debian", name="Debian GNU/Linux 12 (bookworm)", version="12")
    return replace(sample, packages=(*found, extra), operating_system=system)


def render_all(result: ScanResult | None = None) -> dict[str, str]:
    """File name -> rendered text, for every format (the tests compare these in memory)."""
    sample = result if result is not None else build_sample_result()
    sbom_sample = result if result is not None else build_sbom_sample_result()
    return {
        name: formatter_for(fmt).render(
            sbom_sample if fmt in _SBOM_FORMATS else sample, SAMPLE_CONTEXT
        )
        for fmt, name in GOLDEN_FILES.items()
    }


def drifted(rendered: dict[str, str], directory: Path = GOLDEN_DIR) -> list[str]:
    """Names of the golden files that are missing or differ from ``rendered``."""
    drift: list[str] = []
    for name, text in rendered.items():
        path = directory / name
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            drift.append(name)
    return drift


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    rendered = render_all()
    if args.check:
        drift = drifted(rendered)
        for name in drift:
            print(f"drifted: {GOLDEN_DIR / name}", file=sys.stderr)
        return 1 if drift else 0
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        # newline="" keeps the text byte-exact on every platform
        (GOLDEN_DIR / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {GOLDEN_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
