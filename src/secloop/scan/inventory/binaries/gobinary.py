"""Go module build info from ELF executables (the ``go version -m`` data).

Since Go 1.18 the linker writes a build-info blob (section ``.go.buildinfo``) that
starts with a 32-byte header: the magic ``\\xff Go buildinf:`` (14 bytes), the pointer
size (1 byte) and flags (1 byte); with flag bit 2 set the Go version and the module
info follow the header inline, each as a uvarint length then the bytes. The module
info is the text of ``runtime/debug.BuildInfo``, wrapped in 16 sentinel bytes on each
side: tab-separated lines ``go``, ``path``, ``mod path version sum``,
``dep path version sum``, ``=> path version sum`` (a replacement of the line before)
and ``build key=value``. Older binaries store pointers instead and are reported as
unsupported rather than guessed at.

Steps of :func:`parse_go_binary` (every offset is checked against the bytes we hold,
which the engine already capped at ``max_file_bytes``: the file is untrusted):
(1) an ELF magic, else no packages (most files);
(2) the ``.go.buildinfo`` section from the section headers, bounds-checked; failing
    that, the magic searched at 16-byte alignment (the linker aligns the blob);
(3) the header: pointer size 4 or 8, the inline flag;
(4) two uvarints, each at most 10 bytes and their lengths within the data;
(5) the module text, sentinels removed, parsed line by line; only ``mod``/``dep``
    lines (replacements applied) and the Go version become packages.
"""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.interface import Analyzer, AnalyzerOutput, FileContent, FileEntry, ScanError
from secloop.scan.inventory._common import make_package
from secloop.scan.inventory.binaries.elf import ELF_MAGIC, elf_section, may_be_executable

__all__ = ["GO_MAGIC", "GoBinaryAnalyzer", "parse_go_binary"]

GO_MAGIC = b"\xff Go buildinf:"
_HEADER_BYTES = 32
_FLAG_INLINE = 0x2
_SENTINEL_BYTES = 16
_MAX_VARINT_BYTES = 10
_ECOSYSTEM = "Go"


def _find_blob(data: bytes) -> int | None:
    """Step (2): the offset of the build-info header."""
    section = elf_section(data, b".go.buildinfo")
    if section is not None and data.startswith(GO_MAGIC, section[0]):
        return section[0]
    position = data.find(GO_MAGIC)
    while position >= 0:
        if position % 16 == 0:
            return position
        position = data.find(GO_MAGIC, position + 1)
    return None


def _uvarint(data: bytes, position: int) -> tuple[int, int]:
    """Step (4): a little-endian base-128 integer and the position after it."""
    value = shift = 0
    for index in range(position, min(position + _MAX_VARINT_BYTES, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, index + 1
        shift += 7
    raise ValueError("bad varint")


def _inline_strings(data: bytes, start: int) -> tuple[str, str]:
    """Steps (3)-(4): the Go version and the module text after the header."""
    pointer_size, flags = data[start + 14], data[start + 15]
    if pointer_size not in (4, 8):
        raise ValueError(f"pointer size {pointer_size}")
    if not flags & _FLAG_INLINE:
        raise ValueError("pre-Go 1.18 build info (pointers, not inline strings)")
    position = start + _HEADER_BYTES
    strings: list[str] = []
    for _ in range(2):
        length, position = _uvarint(data, position)
        if position + length > len(data):
            raise ValueError("string runs past the end of the file")
        strings.append(data[position : position + length].decode("utf-8", "replace"))
        position += length
    return strings[0], strings[1]


def _module_lines(text: str) -> list[tuple[str, str, str]]:
    """Step (5): (path, version, kind) of the main module and dependencies."""
    if len(text) >= 2 * _SENTINEL_BYTES + 1 and text[-_SENTINEL_BYTES - 1] == "\n":
        text = text[_SENTINEL_BYTES:-_SENTINEL_BYTES]
    modules: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        fields = line.split("\t")
        if fields[0] in ("mod", "dep") and len(fields) >= 3:
            modules.append((fields[1], fields[2], fields[0]))
        elif fields[0] == "=>" and len(fields) >= 3 and modules:
            modules[-1] = (fields[1], fields[2], modules[-1][2])
    return modules


def parse_go_binary(data: bytes, path: str) -> list[Package]:
    """Packages of a Go binary: modules with a version, and ``stdlib`` at the Go version."""
    if not data.startswith(ELF_MAGIC):  # (1)
        return []
    start = _find_blob(data)  # (2)
    if start is None or start + _HEADER_BYTES > len(data):
        return []
    try:
        go_version, modinfo = _inline_strings(data, start)  # (3)(4)
    except (ValueError, IndexError) as err:
        raise ScanError(f"{path}: Go build info not readable ({err})") from None
    packages = [
        make_package(module, version, _ECOSYSTEM, path)
        for module, version, _ in _module_lines(modinfo)  # (5)
        if version and version != "(devel)"
    ]
    if go_version.startswith("go"):
        version = go_version[2:].split(" ", 1)[0]
        packages.append(make_package("stdlib", version, _ECOSYSTEM, path))
    return packages


class GoBinaryAnalyzer(Analyzer):
    """Every file without an extension (where executables live), or under a ``bin``
    directory: read anyway by the secrets scanner, so checking the header is cheap."""

    name = "go-binary"
    text_only = False

    def applies_to(self, entry: FileEntry) -> bool:
        return may_be_executable(entry, _HEADER_BYTES)

    def analyze(self, content: FileContent) -> AnalyzerOutput:
        return AnalyzerOutput(packages=tuple(parse_go_binary(content.data, content.entry.path)))
