"""uv: ``uv.lock`` (TOML ``[[package]]`` tables).

The project itself and workspace members appear as packages whose source is
``editable``, ``virtual`` or a ``directory``: they are the code being scanned, not
dependencies with published versions, and are left out.
"""

from __future__ import annotations

from typing import Any

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    make_package,
    pypi_name,
    toml_package_tables,
)

__all__ = ["UvLockAnalyzer", "parse_uv_lock"]

_LOCAL_SOURCES = frozenset({"editable", "virtual", "directory", "path"})


def _is_local(entry: dict[str, Any]) -> bool:
    source = entry.get("source")
    return isinstance(source, dict) and bool(_LOCAL_SOURCES & source.keys())


def parse_uv_lock(text: str, path: str) -> tuple[Package, ...]:
    packages = [
        make_package(pypi_name(str(e["name"])), str(e["version"]), "PyPI", path)
        for e in toml_package_tables(text, path)
        if not _is_local(e)
    ]
    return dedupe(packages)


class UvLockAnalyzer(LockfileAnalyzer):
    name = "uv-lock"
    file_names = frozenset({"uv.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_uv_lock(text, path)
