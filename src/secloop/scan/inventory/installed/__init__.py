"""Language packages as installed on a system (not as locked in a source tree):
Python distributions (``*.dist-info/METADATA``, ``*.egg-info``) and npm packages
(``node_modules/**/package.json``). Used for images and root filesystems."""

from __future__ import annotations

from secloop.scan.interface import Analyzer
from secloop.scan.inventory.installed.node import NodeModulesAnalyzer
from secloop.scan.inventory.installed.python import PythonDistributionAnalyzer

__all__ = ["NodeModulesAnalyzer", "PythonDistributionAnalyzer", "installed_analyzers"]


def installed_analyzers() -> tuple[Analyzer, ...]:
    return (PythonDistributionAnalyzer(), NodeModulesAnalyzer())
