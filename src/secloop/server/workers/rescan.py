"""Scan one target with secloop's own engine, as ``secloop scan`` and ``secloop image`` do.

A local path (directory, repository, image archive or OCI layout) goes through the
default registry's openers like ``secloop scan``; anything else is read as an image
reference and pulled like ``secloop image`` (system packages detected from the OS).
The result is rendered as secloop JSON, the format the server ingests natively.
"""

from __future__ import annotations

import json
from pathlib import Path

from secloop.core.result import ScanResult
from secloop.output.json_format import result_to_document
from secloop.scan.engine import ScanRequest, run_scan, scan_artifact
from secloop.scan.registry import default_registry


def _scan_image(reference: str) -> ScanResult:
    from secloop.scan.artifact.image.opener import ImageOptions, RegistryOpener
    from secloop.scan.artifact.image.reference import parse_reference
    from secloop.scan.artifact.image.registry import RegistrySettings
    from secloop.scan.interface import ScanLimits
    from secloop.scan.inventory.os import (
        SystemArtifact,
        detect_operating_system,
        system_analyzers,
    )

    parse_reference(reference)  # a clear error for a string that is no image reference
    registry = default_registry()
    opener = RegistryOpener(ImageOptions(registry=RegistrySettings()))
    with opener.open(reference, limits=ScanLimits(), excludes=(), use_gitignore=False) as art:
        system = art if isinstance(art, SystemArtifact) else None
        os_release = detect_operating_system(system) if system is not None else None
        analyzers = (*system_analyzers(os_release, system), *registry.analyzers)
        scanners = registry.select_scanners(None)
        return scan_artifact(art, analyzers=analyzers, scanners=scanners)


def scan_target(target: str) -> bytes:
    """The secloop JSON report of ``target``; secloop errors name the target."""
    if Path(target).exists():
        result = run_scan(ScanRequest(spec=target), default_registry())
    else:
        result = _scan_image(target)
    return json.dumps(result_to_document(result)).encode("utf-8")
