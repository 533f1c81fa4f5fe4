"""Pipenv: ``Pipfile.lock`` (JSON; ``default`` and ``develop`` maps of ``==`` pins).

Entries without a ``version`` (VCS or path dependencies) name no release and are
left out. Packages of ``develop`` are marked dev; which ones the ``Pipfile`` declares
is not in the lock, so ``direct`` stays unknown.
"""

from __future__ import annotations

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    JsonKeyLines,
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
    lines = JsonKeyLines(text)
    groups = [g for g in document if g in ("default", "develop")]  # the file's order
    for group in groups:
        lines.find(group)
        for name, entry in expect_mapping(document.get(group), path, group).items():
            line = lines.find(name) if isinstance(entry, dict) else None
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                packages.append(
                    make_package(
                        pypi_name(name),
                        version[2:],
                        "PyPI",
                        path,
                        line=line,
                        dev=group == "develop",
                    )
                )
    return dedupe(packages)


class PipfileLockAnalyzer(LockfileAnalyzer):
    name = "pipfile-lock"
    file_names = frozenset({"Pipfile.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pipfile_lock(text, path)
