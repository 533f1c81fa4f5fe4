"""Installed Python distributions: ``*.dist-info/METADATA`` (PEP 376/566) and
``*.egg-info/PKG-INFO`` or a single-file ``*.egg-info`` (setuptools). Both are the
core-metadata format: RFC 822 headers, of which ``Name`` and ``Version`` are read.

The licence is read as pip-licenses and Trivy read it, best declaration first:
``License-Expression`` (PEP 639, an SPDX expression), else ``License`` when it is a
short name rather than the whole licence text, else the ``License ::`` trove
classifiers (several mean the user may choose, so they join with ``OR``)."""

from __future__ import annotations

from email.message import Message
from email.parser import HeaderParser

from secloop.core.license import normalize_license
from secloop.core.package import Package, PackageLocation
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError
from secloop.scan.inventory._common import pypi_name

__all__ = ["PythonDistributionAnalyzer", "parse_core_metadata"]

_SHORT_LICENSE_CHARS = 100  # a longer ``License`` field is the licence text itself
_CLASSIFIER_PREFIX = "License :: "
# Trove classifiers whose name maps to exactly one SPDX licence; the others (``BSD
# License``, ``Apache Software License``: no version) are kept as written.
_CLASSIFIERS: dict[str, str] = {
    "MIT License": "MIT",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "Python Software Foundation License": "PSF-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
}


def _classifier_license(headers: Message) -> str | None:
    names = []
    for classifier in headers.get_all("Classifier") or []:
        text = " ".join(str(classifier).split())
        if text.startswith(_CLASSIFIER_PREFIX) and text != "License :: OSI Approved":
            name = text.rsplit(" :: ", 1)[-1]
            names.append(_CLASSIFIERS.get(name) or normalize_license(name) or name)
    if not names:
        return None
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else " OR ".join(unique)


def declared_license(headers: Message) -> str | None:
    """The distribution's licence from its core metadata headers, None if undeclared."""
    expression = headers.get("License-Expression")
    if expression and (found := normalize_license(str(expression))):
        return found
    declared = str(headers.get("License") or "").strip()
    short = "\n" not in declared and len(declared) <= _SHORT_LICENSE_CHARS
    if short and (found := normalize_license(declared)):
        return found
    return _classifier_license(headers)


def parse_core_metadata(text: str, location: PackageLocation) -> tuple[Package, ...]:
    headers = HeaderParser().parsestr(text, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise ScanError(f"{location.path}: core metadata without Name and Version")
    return (
        Package.create(
            name=pypi_name(str(name).strip()),
            version=str(version).strip(),
            ecosystem="PyPI",
            locations=(location,),
            license=declared_license(headers),
        ),
    )


class PythonDistributionAnalyzer(Analyzer):
    name = "python-installed"

    def applies_to(self, entry: FileEntry) -> bool:
        path = entry.path
        parent = path.rsplit("/", 2)[-2] if path.count("/") >= 1 else ""
        if entry.name == "METADATA":
            return parent.endswith(".dist-info")
        if entry.name == "PKG-INFO":
            return parent.endswith(".egg-info")
        return entry.name.endswith(".egg-info") and "site-packages/" in path

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        entry = content.entry
        location = PackageLocation(path=entry.path, layer=entry.layer)
        return AnalyzerOutput(packages=parse_core_metadata(content.text, location))
