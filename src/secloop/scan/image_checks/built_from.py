"""``secloop image REF --dockerfile PATH``: the Dockerfile the image was built from,
scanned in the same run so that its findings can be linked with the image's (ADR 6).

The Dockerfile is read from the local disk, not from the image; its findings carry the
path as the user gave it (``build/Dockerfile``), which is also their fingerprint
subject, so a Dockerfile of the same name inside the image stays a different finding.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from secloop.core.errors import UsageError
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.result import ScanResult
from secloop.policy.links import DOCKERFILE_SCANNER
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import ScanLimits
from secloop.scan.misconfig.scanner import is_dockerfile
from secloop.scan.registry import Registry

__all__ = ["DOCKERFILE_SCANNER", "add_dockerfile", "check_dockerfile", "report_path"]


def report_path(path: Path) -> str:
    """How the Dockerfile is named in findings: as given, normalised, ``/`` separators."""
    return Path(os.path.normpath(path)).as_posix()


def check_dockerfile(path: Path) -> None:
    """A clear usage error before any image is pulled: the file must be a Dockerfile
    by name, as the dockerfile scanner decides everywhere else."""
    if not path.is_file():
        raise UsageError(f"--dockerfile {path}: no such file")
    if not is_dockerfile(path.name):
        raise UsageError(
            f"--dockerfile {path}: not named like a Dockerfile "
            "(Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*)"
        )


def add_dockerfile(
    result: ScanResult, path: Path, *, registry: Registry, limits: ScanLimits
) -> ScanResult:
    """``result`` (an image's) with the findings, rules and coverage of ``path``."""
    label = report_path(path)
    scanned = run_scan(
        ScanRequest(
            spec=str(path), scanners=(DOCKERFILE_SCANNER,), limits=limits, use_gitignore=False
        ),
        registry,
    )
    findings = assign_fingerprints(
        replace(f, location=replace(f.location, path=label), fingerprint="")
        for f in scanned.findings
    )
    coverage = tuple(replace(item, path=label) for item in scanned.coverage)
    scanners = result.scanners
    if DOCKERFILE_SCANNER not in scanners:
        scanners = (*scanners, DOCKERFILE_SCANNER)
    return replace(
        result,
        findings=(*result.findings, *findings),
        rules={**result.rules, **scanned.rules},
        coverage=(*result.coverage, *coverage),
        scanners=scanners,
        warnings=(*result.warnings, *scanned.warnings),
    )
