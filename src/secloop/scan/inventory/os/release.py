"""The release a system runs, and the OSV ecosystem of that release.

Distribution advisories are published per release (OSV ``Debian:12``,
``Alpine:v3.19``, ``Ubuntu:22.04:LTS``), so OS packages are matched in the ecosystem
of the release the image runs. It is read from the first of these that a system has
(:data:`RELEASE_FILES`, most precise first):

1. ``/etc/os-release``, then ``/usr/lib/os-release`` (os-release(5)): ``ID`` names
   the distribution, ``VERSION_ID`` the release;
2. ``/etc/lsb-release`` (``DISTRIB_ID``, ``DISTRIB_RELEASE``): Ubuntu before 12.04
   and trimmed images; before ``debian_version``, which Ubuntu also ships;
3. ``/etc/alpine-release``: the Alpine version alone;
4. ``/etc/centos-release``, ``/etc/rocky-release``, ``/etc/almalinux-release``,
   ``/etc/fedora-release``, ``/etc/oracle-release``, ``/etc/redhat-release``:
   ``<Name> release <version> (<codename>)``, the name telling the distribution;
5. ``/etc/debian_version``: ``12.5``, or ``trixie/sid`` for testing (no version);
6. distroless images (dpkg ``status.d`` and no os-release): the ``base-files``
   package record, whose major version is the Debian release.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from secloop.core.result import OperatingSystem
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError

__all__ = [
    "OS_RELEASE_PATHS",
    "RELEASE_FILES",
    "RPM_DISTRIBUTIONS",
    "RPM_FAMILIES",
    "OsReleaseAnalyzer",
    "distro_ecosystem",
    "parse_os_release",
    "parse_release_file",
    "purl_distro",
]

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
_REDHAT_STYLE = re.compile(r"^(?P<name>.+?)\s+release\s+(?P<version>\d[\w.]*)", re.IGNORECASE)
#: Names in ``/etc/*-release`` of the Red Hat family, to os-release ``ID`` values.
_REDHAT_NAMES = (
    ("red hat enterprise linux", "rhel"),
    ("centos", "centos"),
    ("rocky linux", "rocky"),
    ("almalinux", "almalinux"),
    ("fedora", "fedora"),
    ("oracle linux", "ol"),
)
_DISTROLESS_BASE_FILES = ("var/lib/dpkg/status.d/base-files", "var/lib/dpkg/status.d/base")
RPM_FAMILIES = {
    "rhel": "Red Hat",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
}
#: os-release IDs of SUSE releases; OSV names them ``SUSE:Linux Enterprise Server 15
#: SP5``, ``openSUSE:Leap 15.5`` and ``openSUSE:Tumbleweed``.
_SUSE = frozenset({"sles", "opensuse-leap", "opensuse-tumbleweed"})
#: Every release whose rpm packages have an OSV ecosystem of their own.
RPM_DISTRIBUTIONS = frozenset({*RPM_FAMILIES, *_SUSE})


def _value(raw: str) -> str:
    try:
        parts = shlex.split(raw, posix=True)
    except ValueError:
        return raw.strip().strip("\"'")
    return parts[0] if parts else ""


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match:
            fields[match.group(1)] = _value(match.group(2))
    return fields


def parse_os_release(text: str, path: str = "os-release") -> OperatingSystem:
    """``family`` is ``ID``, ``name`` ``PRETTY_NAME`` (or ``NAME``), ``version``
    ``VERSION_ID``; plus ``:LTS`` kept in the version when ``VERSION`` says LTS."""
    fields = _fields(text)
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


def _lsb_release(text: str, path: str) -> OperatingSystem:
    fields = _fields(text)
    family = fields.get("DISTRIB_ID", "").lower()
    if not family:
        raise ScanError(f"{path}: no DISTRIB_ID= line; not an lsb-release file")
    description = fields.get("DISTRIB_DESCRIPTION", "")
    version = fields.get("DISTRIB_RELEASE", "")
    if family == "ubuntu" and "LTS" in description:
        version += ":LTS"
    return OperatingSystem(family=family, name=description or family, version=version)


def _first_line(text: str, path: str) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not line:
        raise ScanError(f"{path}: empty release file")
    return line


def _alpine_release(text: str, path: str) -> OperatingSystem:
    version = _first_line(text, path)
    if not re.fullmatch(r"\d+\.\d+[\w.]*", version):
        raise ScanError(f"{path}: {version!r} is not an Alpine version")
    minor = ".".join(version.split(".")[:2])
    return OperatingSystem(family="alpine", name=f"Alpine Linux v{minor}", version=version)


def _redhat_release(text: str, path: str) -> OperatingSystem:
    line = _first_line(text, path)
    match = _REDHAT_STYLE.match(line)
    family = next((f for name, f in _REDHAT_NAMES if line.lower().startswith(name)), None)
    if match is None or family is None:
        raise ScanError(f"{path}: {line!r} is not a known '<name> release <version>' line")
    return OperatingSystem(family=family, name=line, version=match.group("version"))


def _debian_version(text: str, path: str) -> OperatingSystem:
    line = _first_line(text, path)
    version = line if re.fullmatch(r"\d+(\.\d+)*", line) else ""  # "trixie/sid": testing
    name = f"Debian GNU/Linux {line}"
    return OperatingSystem(family="debian", name=name, version=version)


def _distroless_base_files(text: str, path: str) -> OperatingSystem:
    fields = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in text.splitlines())
        if value
    }
    major = re.match(r"\d+", fields.get("Version", ""))
    if fields.get("Package") not in ("base-files", "base") or major is None:
        raise ScanError(f"{path}: not the record of Debian's base-files package")
    version = major.group(0)
    return OperatingSystem(family="debian", name=f"Debian GNU/Linux {version}", version=version)


#: Every file a release is read from, in the order they are tried.
RELEASE_FILES: tuple[tuple[str, Callable[[str, str], OperatingSystem]], ...] = (
    *((p, parse_os_release) for p in OS_RELEASE_PATHS),
    ("etc/lsb-release", _lsb_release),
    ("etc/alpine-release", _alpine_release),
    *(
        (f"etc/{name}-release", _redhat_release)
        for name in ("centos", "rocky", "almalinux", "fedora", "oracle", "redhat")
    ),
    ("etc/debian_version", _debian_version),
    *((p, _distroless_base_files) for p in _DISTROLESS_BASE_FILES),
)
_PARSERS = dict(RELEASE_FILES)


def parse_release_file(text: str, path: str) -> OperatingSystem:
    """The release a file of :data:`RELEASE_FILES` names; ScanError if it names none."""
    parser = _PARSERS.get(path)
    if parser is None:
        raise ScanError(f"{path}: not a release file")
    return parser(text, path)


def _suse_ecosystem(family: str, version: str) -> str:
    if family == "opensuse-tumbleweed":
        return "openSUSE:Tumbleweed"  # rolling: one ecosystem for every snapshot
    if family == "opensuse-leap":
        return f"openSUSE:Leap {version}"
    major, _, service_pack = version.partition(".")
    pack = f" SP{service_pack}" if service_pack not in ("", "0") else ""
    return f"SUSE:Linux Enterprise Server {major}{pack}"


#: Family to the OSV ecosystem of one of its releases (``version`` is ``VERSION_ID``).
_ECOSYSTEMS: dict[str, Callable[[str, str], str]] = {
    "debian": lambda _, version: f"Debian:{version.split('.', 1)[0]}",
    "ubuntu": lambda _, version: f"Ubuntu:{version}",
    "alpine": lambda _, version: "Alpine:v" + ".".join(version.split(".")[:2]),
    **{
        family: lambda family, version: f"{RPM_FAMILIES[family]}:{version.split('.', 1)[0]}"
        for family in RPM_FAMILIES
    },
    **dict.fromkeys(_SUSE, _suse_ecosystem),
}


def distro_ecosystem(os: OperatingSystem | None) -> str | None:
    """The OSV ecosystem of ``os``'s release, None when it cannot be named."""
    if os is None or not os.version or os.family not in _ECOSYSTEMS:
        return None
    return _ECOSYSTEMS[os.family](os.family, os.version)


def purl_distro(os: OperatingSystem | None) -> str | None:
    """The purl ``distro`` qualifier of an OS package, ``<ID>-<VERSION_ID>`` as Syft and
    Trivy write it (``debian-12``, ``alpine-3.20.3``, ``ubuntu-22.04``); None when the
    release is unknown, so no purl claims a release nobody detected."""
    if os is None or not os.family or not os.version:
        return None
    return f"{os.family}-{os.version.removesuffix(':LTS')}"


class OsReleaseAnalyzer(Analyzer):
    """The release in the inventory. Given the release detected before the scan (the
    first of :data:`RELEASE_FILES` the system has), it reports that one for any
    release file it sees, so the inventory agrees with the ecosystems of the package
    analyzers whatever order files come in; without it, os-release files are read."""

    name = "os-release"

    def __init__(self, detected: OperatingSystem | None = None) -> None:
        self.detected = detected

    def applies_to(self, entry: FileEntry) -> bool:
        if self.detected is not None:
            return entry.path in _PARSERS
        return entry.path in OS_RELEASE_PATHS

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        if self.detected is not None:
            return AnalyzerOutput(operating_system=self.detected)
        return AnalyzerOutput(operating_system=parse_os_release(content.text, content.entry.path))
