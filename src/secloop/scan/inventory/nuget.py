"""NuGet: ``packages.lock.json`` (lock file versions 1 and 2).

``dependencies`` maps each target framework to the packages resolved for it, each
with its ``type``: ``Direct`` (declared by the project), ``Transitive`` or
``CentralTransitive`` (pinned by central package management but pulled in by another
package), and ``Project`` for a reference to another project of the solution, which is
no NuGet package. The ``resolved`` version is the one installed. A package resolved
for several frameworks is one package per version.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory._common import (
    JsonKeyLines,
    LockfileAnalyzer,
    dedupe,
    expect_mapping,
    load_json,
    make_package,
)

__all__ = ["NuGetLockAnalyzer", "parse_nuget_lock"]

ECOSYSTEM = "NuGet"
_SUPPORTED_VERSIONS = (1, 2)


def _packages(frameworks: dict[str, Any], lines: JsonKeyLines, path: str) -> Iterator[Package]:
    lines.find("dependencies")
    for framework, resolved in frameworks.items():
        lines.find(framework)
        for name, entry in expect_mapping(resolved, path, f"framework {framework!r}").items():
            line = lines.find(name)
            if not isinstance(entry, dict) or entry.get("type") == "Project":
                continue
            version = entry.get("resolved")
            if not isinstance(version, str) or not version:
                raise ScanError(
                    f"{path}: could not extract from file: {name} ({framework}) "
                    "has no resolved version"
                )
            yield make_package(
                name, version, ECOSYSTEM, path, line=line, direct=entry.get("type") == "Direct"
            )


def parse_nuget_lock(text: str, path: str) -> tuple[Package, ...]:
    document = expect_mapping(load_json(text, path), path, "the document")
    version = document.get("version")
    if version not in _SUPPORTED_VERSIONS:
        raise ScanError(
            f"{path}: could not extract from file: unsupported lock file version {version}"
        )
    frameworks = expect_mapping(document.get("dependencies"), path, "'dependencies'")
    return dedupe(_packages(frameworks, JsonKeyLines(text), path))


class NuGetLockAnalyzer(LockfileAnalyzer):
    name = "nuget-lock"
    file_names = frozenset({"packages.lock.json"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_nuget_lock(text, path)
