"""Where records come from: a directory tree or a zip of OSV JSON / PyPA YAML files.

Both are untrusted input, read with limits: a record file over ``max_record_bytes`` is
skipped with a reason, a zip member's declared size is checked before it is read (a
zip bomb must not fill memory), and at most ``max_records`` files are read. A record
that breaks the schema is reported, by name, and the import goes on; a zip that
cannot be opened at all is an :class:`ImportSourceError`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from secloop.core.advisory import Advisory
from secloop.vulndb.errors import ImportSourceError, RecordError
from secloop.vulndb.osv import parse_record

__all__ = ["ImportLimits", "iter_records"]

_SUFFIXES = (".json", ".yaml", ".yml")
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportLimits:
    max_record_bytes: int = 16 * MIB
    max_records: int = 2_000_000


def _wanted(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith(_SUFFIXES) and not base.startswith(".")


def _from_directory(root: Path, limits: ImportLimits) -> Iterator[Advisory | RecordError]:
    paths = sorted(p for p in root.rglob("*") if p.is_file() and _wanted(p.name))
    for count, path in enumerate(paths):
        if count >= limits.max_records:
            yield RecordError(f"{root}: stopped after {limits.max_records} records (limit)")
            return
        name = path.relative_to(root).as_posix()
        if path.stat().st_size > limits.max_record_bytes:
            yield RecordError(f"{name}: larger than {limits.max_record_bytes} bytes; skipped")
            continue
        try:
            yield parse_record(path.read_bytes(), source=name)
        except RecordError as err:
            yield err


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise RecordError(f"{info.filename}: larger than {limit} bytes; skipped")
    return data


def _from_zip(path: Path, limits: ImportLimits) -> Iterator[Advisory | RecordError]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ImportSourceError(f"{path}: not a readable zip archive ({err})") from None
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir() and _wanted(i.filename)]
        for count, info in enumerate(members):
            if count >= limits.max_records:
                yield RecordError(f"{path}: stopped after {limits.max_records} records (limit)")
                return
            if info.file_size > limits.max_record_bytes:
                yield RecordError(f"{info.filename}: larger than {limits.max_record_bytes} bytes")
                continue
            try:
                data = _read_member(archive, info, limits.max_record_bytes)
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                raise ImportSourceError(
                    f"{path}: {info.filename}: truncated or corrupt ({err})"
                ) from None
            except RecordError as err:
                yield err
                continue
            try:
                yield parse_record(data, source=info.filename)
            except RecordError as err:
                yield err


def iter_records(
    path: Path, limits: ImportLimits | None = None
) -> Iterator[Advisory | RecordError]:
    """Every record under ``path`` (a directory, a zip, or one record file)."""
    limits = limits or ImportLimits()
    if path.is_dir():
        return _from_directory(path, limits)
    if path.is_file() and zipfile.is_zipfile(path):
        return _from_zip(path, limits)
    if path.is_file() and _wanted(path.name):
        return _single(path)
    if path.is_file():
        raise ImportSourceError(f"{path}: neither a zip archive nor an OSV record file")
    raise ImportSourceError(f"{path}: no such file or directory")


def _single(path: Path) -> Iterator[Advisory | RecordError]:
    try:
        yield parse_record(path.read_bytes(), source=path.name)
    except RecordError as err:
        yield err
