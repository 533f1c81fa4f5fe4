"""Maven packages inside Java archives (``.jar``, ``.war``, ``.ear``).

Maven writes ``META-INF/maven/<groupId>/<artifactId>/pom.properties`` into the jars it
builds (shaded jars hold one per bundled artifact); jars built otherwise often name
themselves only in ``META-INF/MANIFEST.MF``. Nested jars (``WEB-INF/lib``,
``BOOT-INF/lib``, ``lib/``) are read one level deep.

Steps (a zip is untrusted: the central directory states sizes, names and offsets):
(1) open from the bytes the engine read (already capped at ``max_file_bytes``); a
    file that is not a zip is a ScanError naming it;
(2) refuse archives with more than ``MAX_ENTRIES`` entries (a cheap denial of service);
(3) read only small metadata members (``MAX_METADATA_BYTES``) and nested jars up to
    ``MAX_NESTED_BYTES``, checking the *declared* size first and reading at most one
    byte more, so a lying header cannot inflate the read (zip bombs);
(4) stop reading nested jars once ``MAX_TOTAL_BYTES`` were decompressed in all;
(5) names are only compared and reported, never used as file paths.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from secloop.core.package import Package
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError
from secloop.scan.inventory._common import make_package

__all__ = ["JavaArchiveAnalyzer", "parse_java_archive"]

MAX_ENTRIES = 100_000
MAX_METADATA_BYTES = 256 * 1024
MAX_NESTED_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
_ARCHIVES = (".jar", ".war", ".ear")
_POM = re.compile(r"^META-INF/maven/[^/]+/[^/]+/pom\.properties$")
_MANIFEST = "META-INF/MANIFEST.MF"
_VERSION_SUFFIX = re.compile(r"-(\d[\w.+-]*)$")
_ECOSYSTEM = "Maven"
_SEPARATOR = re.compile(r"\s*[=:]\s*")


class _Budget:
    """Step (4): bytes decompressed for one top-level archive."""

    def __init__(self) -> None:
        self.left = MAX_TOTAL_BYTES

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
        if info.file_size > cap or info.file_size > self.left:  # (3)
            return None
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
        if len(data) > info.file_size:
            return None
        self.left -= len(data)
        return data


def _properties(text: str) -> dict[str, str]:
    """``key=value`` or ``key: value`` lines of a Java properties file."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")):
            parts = _SEPARATOR.split(line, maxsplit=1)
            values[parts[0]] = parts[1] if len(parts) > 1 else ""
    return values


def _manifest(text: str) -> dict[str, str]:
    """Main attributes; a line starting with one space continues the previous one."""
    values: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line:
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last:
            values[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            values[last] = value.strip()
    return values


def _from_manifest(fields: dict[str, str], file_name: str) -> tuple[str, str, str] | None:
    """(group, artifact, version) when the manifest names all three; never guessed
    beyond the file name's stem for the artifact."""
    version = fields.get("Implementation-Version") or fields.get("Bundle-Version") or ""
    symbolic = fields.get("Bundle-SymbolicName", "").split(";", 1)[0].strip()
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    artifact = _VERSION_SUFFIX.sub("", stem) if version and stem.endswith(version) else stem
    group = fields.get("Implementation-Vendor-Id", "")
    if not group and symbolic.endswith(f".{artifact}"):
        group = symbolic[: -len(artifact) - 1]
    if group and artifact and version:
        return group, artifact, version
    return None


def _coordinates(
    archive: zipfile.ZipFile, budget: _Budget, name: str
) -> Iterator[tuple[str, str, str]]:
    found = False
    for info in archive.infolist():
        if _POM.match(info.filename):
            data = budget.read(archive, info, MAX_METADATA_BYTES)
            fields = _properties(data.decode("utf-8", "replace")) if data else {}
            group, artifact = fields.get("groupId"), fields.get("artifactId")
            version = fields.get("version")
            if group and artifact and version:
                found = True
                yield group, artifact, version
    if not found:
        try:
            info = archive.getinfo(_MANIFEST)
        except KeyError:
            return
        data = budget.read(archive, info, MAX_METADATA_BYTES)
        coordinates = (
            _from_manifest(_manifest(data.decode("utf-8", "replace")), name) if data else None
        )
        if coordinates:
            yield coordinates


def _open(data: bytes, what: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))  # (1)
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise ScanError(f"{what}: not a readable zip archive ({err})") from None
    if len(archive.infolist()) > MAX_ENTRIES:  # (2)
        archive.close()
        raise ScanError(f"{what}: more than {MAX_ENTRIES} entries")
    return archive


def _nested(
    archive: zipfile.ZipFile, budget: _Budget, path: str
) -> Iterator[tuple[str, str, str, str]]:
    for info in archive.infolist():
        if not info.filename.lower().endswith(_ARCHIVES) or info.is_dir():
            continue
        inner_path = f"{path}!/{info.filename}"  # (5)
        data = budget.read(archive, info, MAX_NESTED_BYTES)
        if data is None:
            continue
        try:
            with _open(data, inner_path) as inner:
                for coordinates in _coordinates(inner, budget, info.filename):
                    yield (*coordinates, inner_path)
        except (ScanError, zipfile.BadZipFile, EOFError):
            continue  # one damaged nested jar does not hide the others


def parse_java_archive(data: bytes, path: str) -> list[Package]:
    """Maven packages of one archive and the archives directly inside it."""
    budget = _Budget()
    packages: list[Package] = []
    try:
        with _open(data, path) as archive:
            for group, artifact, version in _coordinates(archive, budget, path):
                packages.append(make_package(f"{group}:{artifact}", version, _ECOSYSTEM, path))
            for group, artifact, version, where in _nested(archive, budget, path):
                packages.append(make_package(f"{group}:{artifact}", version, _ECOSYSTEM, where))
    except (zipfile.BadZipFile, EOFError, NotImplementedError) as err:
        raise ScanError(f"{path}: damaged zip archive ({err})") from None
    return packages


class JavaArchiveAnalyzer(Analyzer):
    name = "java-archive"
    text_only = False

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name.lower().endswith(_ARCHIVES)

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        return AnalyzerOutput(packages=tuple(parse_java_archive(content.data, content.entry.path)))
