"""Sections of ELF files, read from bytes with every offset bounds-checked."""

from __future__ import annotations

import struct

from secloop.scan.interface import FileEntry

__all__ = ["ELF_MAGIC", "elf_section", "may_be_executable"]

ELF_MAGIC = b"\x7fELF"
_MAX_SECTIONS = 4096


def elf_section(data: bytes, name: bytes) -> tuple[int, int] | None:
    """(offset, size) of section ``name`` in an ELF file, None when absent or malformed."""
    if len(data) < 64 or not data.startswith(ELF_MAGIC) or {data[4], data[5]} - {1, 2}:
        return None
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", data, 0x28)
        entsize, count, strndx = struct.unpack_from(order + "HHH", data, 0x3A)
        fmt, min_entry = order + "IIQQQQ", 0x40
    else:
        (shoff,) = struct.unpack_from(order + "I", data, 0x20)
        entsize, count, strndx = struct.unpack_from(order + "HHH", data, 0x2E)
        fmt, min_entry = order + "IIIIII", 0x28
    if entsize < min_entry or count > _MAX_SECTIONS or strndx >= count:
        return None
    if shoff + count * entsize > len(data):
        return None
    sections = [struct.unpack_from(fmt, data, shoff + i * entsize) for i in range(count)]
    # (name, type, flags, addr, offset, size) in both classes
    str_offset, str_size = sections[strndx][4], sections[strndx][5]
    if str_offset + str_size > len(data):
        return None
    for section in sections:
        start = str_offset + section[0]
        end = data.find(b"\0", start, str_offset + str_size)
        if end >= 0 and data[start:end] == name:
            offset, size = section[4], section[5]
            return (offset, size) if offset + size <= len(data) else None
    return None


def may_be_executable(entry: FileEntry, min_bytes: int) -> bool:
    """Cheap, on the path alone: a file under a ``bin``/``sbin`` directory or without an
    extension (where executables live). The secrets scanner reads such files anyway."""
    if entry.size < min_bytes:
        return False
    in_bin = "/bin/" in f"/{entry.path}" or "/sbin/" in f"/{entry.path}"
    return in_bin or "." not in entry.name
