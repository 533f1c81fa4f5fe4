"""Language package analyzers: one module per lockfile or manifest format.

Each module has one :class:`~secloop.scan.interface.Analyzer` and a pure ``parse_*``
function (text and path in, packages out) that the tests drive on real fixtures. A
file that cannot be parsed raises :class:`~secloop.scan.interface.ScanError` naming the
file and the reason; the engine records it and the scan goes on.
"""

from __future__ import annotations

from secloop.scan.interface import Analyzer
from secloop.scan.inventory.cargo import CargoLockAnalyzer
from secloop.scan.inventory.composer import ComposerLockAnalyzer
from secloop.scan.inventory.conan import ConanLockAnalyzer
from secloop.scan.inventory.declared import (
    ComposerJsonAnalyzer,
    PackageJsonAnalyzer,
    PipfileAnalyzer,
    PyprojectAnalyzer,
)
from secloop.scan.inventory.gemfile import GemfileLockAnalyzer
from secloop.scan.inventory.gomod import GoModAnalyzer
from secloop.scan.inventory.gradle import GradleLockAnalyzer, GradleVerificationMetadataAnalyzer
from secloop.scan.inventory.maven import MavenDependencyTreeAnalyzer, PomAnalyzer
from secloop.scan.inventory.mix import MixLockAnalyzer
from secloop.scan.inventory.npm import NpmLockAnalyzer
from secloop.scan.inventory.nuget import NuGetLockAnalyzer
from secloop.scan.inventory.pdm import PdmLockAnalyzer
from secloop.scan.inventory.pipenv import PipfileLockAnalyzer
from secloop.scan.inventory.pnpm import PnpmLockAnalyzer
from secloop.scan.inventory.poetry import PoetryLockAnalyzer
from secloop.scan.inventory.pub import PubspecLockAnalyzer
from secloop.scan.inventory.pylock import PylockAnalyzer
from secloop.scan.inventory.renv import RenvLockAnalyzer
from secloop.scan.inventory.requirements import RequirementsAnalyzer
from secloop.scan.inventory.uv import UvLockAnalyzer
from secloop.scan.inventory.yarn import YarnLockAnalyzer
from secloop.scan.sbom.analyzer import SbomFileAnalyzer

__all__ = ["language_analyzers"]


def language_analyzers() -> tuple[Analyzer, ...]:
    """Every lockfile analyzer, the manifests that tell their direct dependencies, and
    the one for SBOM files, in a stable order."""
    return (
        RequirementsAnalyzer(),
        PoetryLockAnalyzer(),
        PipfileLockAnalyzer(),
        UvLockAnalyzer(),
        PdmLockAnalyzer(),
        PylockAnalyzer(),
        NpmLockAnalyzer(),
        YarnLockAnalyzer(),
        PnpmLockAnalyzer(),
        GoModAnalyzer(),
        CargoLockAnalyzer(),
        GemfileLockAnalyzer(),
        ComposerLockAnalyzer(),
        PomAnalyzer(),
        MavenDependencyTreeAnalyzer(),
        GradleLockAnalyzer(),
        GradleVerificationMetadataAnalyzer(),
        NuGetLockAnalyzer(),
        MixLockAnalyzer(),
        PubspecLockAnalyzer(),
        RenvLockAnalyzer(),
        ConanLockAnalyzer(),
        # manifests: which packages of the lockfile beside them are direct
        PyprojectAnalyzer(),
        PipfileAnalyzer(),
        PackageJsonAnalyzer(),
        ComposerJsonAnalyzer(),
        SbomFileAnalyzer(),  # SBOMs shipped in the tree list packages too
    )
