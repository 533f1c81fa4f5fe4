"""Pipenv: ``Pipfile.lock`` (JSON; ``default`` and ``develop`` maps of ``==`` pins).

Entries without a ``version`` (VCS or path dependencies) name no release and are
left out.
"""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
    pypi_name,
)

__all__ = ["PipfileLockAnalyzer", "parse_pipfile_lock"]


def parse_pipfile_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    packages: list[Package] = []
    for group in ("default", "develop"):
        for name, entry in expect_mapping(document.get(group), path, group).items():
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                packages.append(make_package(pypi_name(name), version[2:], "PyPI", path))
    return dedupe(packages)


class PipfileLockAnalyzer(LockfileAnalyzer):
    name = "pipfile-lock"
    file_names = frozenset({"Pipfile.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pipfile_lock(text, path)
