"""``/etc/os-release`` (os-release(5)) and the OSV ecosystem of a distribution release.

Distribution advisories are published per release (OSV ``Debian:12``,
``Alpine:v3.19``, ``Ubuntu:22.04:LTS``), so OS packages are matched in the ecosystem
of the release the image runs, read from os-release: ``ID`` names the distribution,
``VERSION_ID`` the release.
"""

from __future__ import annotations

import re
import shlex

from secloop.core.result import OperatingSystem
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError

__all__ = [
    "OS_RELEASE_PATHS",
    "RPM_FAMILIES",
    "OsReleaseAnalyzer",
    "distro_ecosystem",
    "parse_os_release",
]

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
RPM_FAMILIES = {
    "rhel": "Red Hat",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
}


def _value(raw: str) -> str:
    try:
        parts = shlex.split(raw, posix=True)
    except ValueError:
        return raw.strip().strip("\"'")
    return parts[0] if parts else ""


def parse_os_release(text: str, path: str = "os-release") -> OperatingSystem:
    """``family`` is ``ID``, ``name`` ``PRETTY_NAME`` (or ``NAME``), ``version``
    ``VERSION_ID``; plus ``:LTS`` kept in the version when ``VERSION`` says LTS."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match:
            fields[match.group(1)] = _value(match.group(2))
    family = fields.get("ID", "").lower()
    if not family:
        raise ScanError(f"{path}: no ID= line; not an os-release file")
    version = fields.get("VERSION_ID", "")
    if family == "ubuntu" and "LTS" in fields.get("VERSION", ""):
        version += ":LTS"
    return OperatingSystem(
        family=family,
        name=fields.get("PRETTY_NAME") or fields.get("NAME") or family,
        version=version,
    )


def distro_ecosystem(os: OperatingSystem | None) -> str | None:
    """The OSV ecosystem of ``os``'s release, None when it cannot be named."""
    if os is None or not os.version:
        return None
    major = os.version.split(".", 1)[0]
    if os.family == "debian":
        return f"Debian:{major}"
    if os.family == "ubuntu":
        return f"Ubuntu:{os.version}"
    if os.family == "alpine":
        return "Alpine:v" + ".".join(os.version.split(".")[:2])
    if os.family in RPM_FAMILIES:
        return f"{RPM_FAMILIES[os.family]}:{major}"
    return None


class OsReleaseAnalyzer(Analyzer):
    name = "os-release"

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.path in OS_RELEASE_PATHS

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        return AnalyzerOutput(operating_system=parse_os_release(content.text, content.entry.path))
